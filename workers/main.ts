// `node workers/main.ts` is `baton worker`: a worker against TEMPORAL_ADDRESS and DATABASE_URL that stops
// gracefully on SIGINT/SIGTERM (in-flight activities get BATON_SHUTDOWN_GRACE_MS to finish).
import { ConfigError } from '../src/config.ts';
import { commands } from '../src/cli/commands.ts';

const io = {
  env: process.env,
  out: (text: string) => process.stdout.write(`${text}\n`),
  err: (text: string) => process.stderr.write(`${text}\n`),
};
try {
  process.exitCode = await commands.worker!.run(process.argv.slice(2), io);
} catch (error) {
  io.err(error instanceof ConfigError ? error.message : `baton worker failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
setTimeout(() => process.exit(), 500).unref();
