#!/usr/bin/env node
import { ConfigError } from '../config.ts';
import { commands, usage } from './commands.ts';

// `baton <command> ...`: configuration errors and failures to start print one clear message and exit 1.
const [name, ...args] = process.argv.slice(2);
const io = {
  env: process.env,
  out: (text: string) => process.stdout.write(`${text}\n`),
  err: (text: string) => process.stderr.write(`${text}\n`),
};

if (!name || name === 'help' || name === '--help' || name === '-h') {
  io.out(usage());
  process.exitCode = name ? 0 : 2;
} else if (!Object.hasOwn(commands, name)) {
  io.err(`baton: unknown command "${name}"\n\n${usage()}`);
  process.exitCode = 2;
} else {
  try {
    process.exitCode = await commands[name]!.run(args, io);
  } catch (error) {
    io.err(error instanceof ConfigError ? error.message : `baton ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
  // Whatever still holds the event loop (gRPC channels, timers) must not keep a stopped process alive.
  setTimeout(() => process.exit(), 500).unref();
}
