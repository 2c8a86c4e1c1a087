// The fuzz stage: schemathesis against `baton start` as users run it, with an API key, every check
// on, a fixed seed and a bounded number of examples per operation. Exits non-zero on any failure.
//
//   npm run fuzz                 # or: node test/fuzz/run-schemathesis.ts
//   FUZZ_MAX_EXAMPLES=10 FUZZ_SEED=7 npm run fuzz
//   npm run fuzz -- --include-path-regex '^/api/v1/agents'   # extra arguments go to schemathesis
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/temporal/dev-server.ts';
import { findTemporalCli } from '../../src/temporal/temporal-cli.ts';
import { ensureSchemathesis } from './schemathesis-venv.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const settings = {
  maxExamples: positiveInt('FUZZ_MAX_EXAMPLES', 50),
  seed: positiveInt('FUZZ_SEED', 20_260_101),
  // A ceiling for the whole schemathesis run: a hang fails the stage instead of stalling CI.
  timeLimitSeconds: positiveInt('FUZZ_TIME_LIMIT_SECONDS', 600),
};
// Schemathesis keeps its crash cache (for `st replay`) in its working directory: keep it out of the tree.
const workDir = path.join(repoRoot, '.baton', 'fuzz');
const reportDir = path.join(workDir, 'report');

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number (got ${JSON.stringify(raw)})`);
  return value;
}

function log(line: string): void {
  process.stdout.write(`[fuzz] ${line}\n`);
}

interface App {
  url: string;
  key: string;
  stop(): Promise<void>;
  output(): string;
}

/** `baton start` on free ports with its own BATON_HOME and one API key, ready once /readyz says so. */
async function startBaton(): Promise<App> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'baton-fuzz-'));
  // The same Temporal CLI the tests use; a temporary BATON_HOME must not trigger a fresh install.
  const cli = await findTemporalCli({ homeDir: path.join(repoRoot, '.baton'), log: (line) => log(`temporal: ${line}`) });
  const port = await freePort();
  const key = randomBytes(24).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BATON_HOME: home,
    HOST: '127.0.0.1',
    PORT: String(port),
    BATON_TEMPORAL_PORT: String(await freePort()),
    BATON_TEMPORAL_UI_PORT: String(await freePort()),
    TEMPORAL_CLI_PATH: cli.path,
    BATON_API_KEYS: `${key}:fuzz`,
  };
  // The embedded defaults, as `npm start` gives them: nothing from the caller's shell may point elsewhere.
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;

  const child = spawn(process.execPath, [path.join(repoRoot, 'src/cli/baton.ts'), 'start'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => { gone = true; });

  const app: App = {
    url: `http://127.0.0.1:${port}`,
    key,
    output: () => output,
    stop: async () => {
      await stopChild(child, exited);
      await rm(home, { recursive: true, force: true });
    },
  };
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (gone) throw new Error(`baton start exited before it was ready:\n${output}`);
      if (Date.now() > deadline) throw new Error(`baton start was not ready within 120 s:\n${output}`);
      if (await isReady(app.url)) return app;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await app.stop();
    throw error;
  }
}

async function isReady(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** SIGTERM (baton stops its worker, API and dev server in order), SIGKILL if it lingers. */
async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Runs schemathesis; resolves to its exit code (or 124 when the time limit stopped it). */
async function runSchemathesis(binary: string, app: App): Promise<number> {
  await rm(reportDir, { recursive: true, force: true });
  await mkdir(reportDir, { recursive: true });
  const args = [
    '--config-file', path.join(repoRoot, 'test', 'fuzz', 'schemathesis.toml'),
    'run', `${app.url}/openapi.json`,
    // No --checks: schemathesis runs all of its 14 checks by default, and a command-line --checks all
    // would override the one check test/fuzz/schemathesis.toml turns off for one operation (with why).
    '--max-examples', String(settings.maxExamples),
    '--seed', String(settings.seed),
    '--header', `Authorization: Bearer ${app.key}`,
    '--workers', '1',
    '--continue-on-failure',
    '--request-timeout', '60',
    // The example database would make one run depend on what earlier runs found.
    '--generation-database', 'none',
    '--report', 'junit,ndjson',
    '--report-dir', reportDir,
    '--no-color',
    ...process.argv.slice(2),
  ];
  log(`schemathesis ${args.map((arg) => (arg.startsWith('Authorization') ? 'Authorization: Bearer ***' : arg)).join(' ')}`);
  const child = spawn(binary, args, { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const exited = new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 124 : 1))));
  // Schemathesis's own summary is shown prefixed, so no line of it reads like a test runner's closing count.
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`  st| ${line}\n`);
    });
    stream.on('end', () => { if (pending) process.stdout.write(`  st| ${pending}\n`); });
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGTERM'); }, settings.timeLimitSeconds * 1000);
  const code = await exited;
  clearTimeout(timer);
  if (timedOut) {
    log(`schemathesis did not finish within ${settings.timeLimitSeconds} s (FUZZ_TIME_LIMIT_SECONDS)`);
    return 124;
  }
  return code;
}

async function main(): Promise<number> {
  const started = Date.now();
  const binary = await ensureSchemathesis({ venvDir: path.join(repoRoot, '.baton', 'fuzz-venv'), log });
  const app = await startBaton();
  log(`baton start is ready at ${app.url}`);
  let code: number;
  try {
    code = await runSchemathesis(binary, app);
  } finally {
    await app.stop();
  }
  // The server's side of a 5xx (the logged error) is in baton's own output.
  if (code !== 0) {
    log('baton start output (last 80 lines):');
    for (const line of app.output().trimEnd().split('\n').slice(-80)) process.stdout.write(`  app| ${line}\n`);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  if (code === 0) log(`no failures (${settings.maxExamples} examples per operation, seed ${settings.seed}, ${seconds} s)`);
  else log(`FAILED: schemathesis exited ${code} after ${seconds} s; each failure above has a curl command to reproduce it; JUnit and NDJSON reports in ${path.relative(repoRoot, reportDir)}`);
  return code === 0 ? 0 : 1;
}

process.exitCode = await main().catch((error: unknown) => {
  log(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
