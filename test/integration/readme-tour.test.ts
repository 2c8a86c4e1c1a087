import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server.ts';
import { assignedVariables, type FencedBlock, readReadme, tourBlocks } from '../fixtures/readme-blocks.ts';

// The README's five-minute tour, run as a user runs it: `npm start` on embedded defaults (its own
// Temporal dev server and PGlite store in a throwaway BATON_HOME), then every ```sh block between
// the tour markers in one shell session, byte for byte. Only where the commands land differs: the
// README says localhost:3000, the test's Baton listens on a free port, so curl is pointed there by a
// .curlrc (`connect-to`) and the CLI by BATON_URL; the commands themselves are not rewritten.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface BlockResult {
  block: FencedBlock;
  stdout: string;
  stderr: string;
  variables: Record<string, string>;
}

let home: string;
let apiPort: number;
let baton: ChildProcess | undefined;
let batonOutput = '';
let batonExited: Promise<number | null> | undefined;

/** The environment the tour's shell gets: a user's shell in the checkout, aimed at this test's Baton. */
function tourEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Node ≥ 22.18 first on PATH, as the README requires (the project's own Node 24 from node_modules).
    PATH: `${path.join(repoRoot, 'node_modules/.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    CURL_HOME: home,
    BATON_URL: `http://127.0.0.1:${apiPort}`,
    npm_config_update_notifier: 'false',
  };
  for (const name of ['BATON_API_KEY', 'XDG_CONFIG_HOME']) delete env[name];
  return env;
}

/** One block in a fresh `bash -euo pipefail` that first reads the variables earlier blocks set. */
async function runBlock(block: FencedBlock, variablesFile: string): Promise<BlockResult> {
  const names = assignedVariables(block.code);
  const script = [
    'set -euo pipefail',
    `source ${JSON.stringify(variablesFile)}`,
    block.code,
    ...names.map((name) => `printf '%s=%q\\n' ${name} "$${name}" >> ${JSON.stringify(variablesFile)}`),
  ].join('\n');
  try {
    const { stdout, stderr } = await run('bash', ['-c', script], { cwd: repoRoot, env: tourEnv(), timeout: 90_000, maxBuffer: 16 * 1024 * 1024 });
    const saved = (await readFile(variablesFile, 'utf8')).split('\n');
    // The ids the tour captures need no shell quoting, so %q wrote them as they are.
    const variables = Object.fromEntries(names.map((name) => [name, saved.filter((line) => line.startsWith(`${name}=`)).at(-1)?.slice(name.length + 1) ?? '']));
    return { block, stdout, stderr, variables };
  } catch (error) {
    const failed = error as { code?: number; signal?: string; stdout?: string; stderr?: string };
    throw new Error(
      `README.md block at line ${block.line} failed (exit ${failed.code ?? failed.signal}):\n${block.code}\n--- stdout\n${failed.stdout ?? ''}\n--- stderr\n${failed.stderr ?? ''}\n--- baton\n${batonOutput.slice(-4000)}`,
      { cause: error },
    );
  }
}

/** Each line of a block's output that is a JSON object, parsed. */
function jsonLines(result: BlockResult): Array<Record<string, unknown>> {
  return result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'baton-readme-tour-'));
  apiPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BATON_HOME: path.join(home, '.baton'),
    PORT: String(apiPort),
    BATON_TEMPORAL_PORT: String(await freePort()),
    BATON_TEMPORAL_UI_PORT: String(await freePort()),
    // The CLI the test run already found, instead of installing one into the throwaway home.
    TEMPORAL_CLI_PATH: inject('temporalCliPath'),
    npm_config_update_notifier: 'false',
  };
  // The README's quick start means the embedded defaults: nothing from this shell may point elsewhere.
  for (const name of ['TEMPORAL_ADDRESS', 'DATABASE_URL', 'BATON_API_KEYS', 'HOST', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'BATON_EGRESS_ALLOW', 'BATON_PROJECT_SECRETS']) delete env[name];
  // Its own process group, so the test can stop npm and Baton the way Ctrl-C does.
  const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  baton = child;
  child.stdout.on('data', (chunk: Buffer) => { batonOutput += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { batonOutput += chunk.toString(); });
  batonExited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let exited = false;
  void batonExited.then(() => { exited = true; });
  const deadline = Date.now() + 100_000;
  while (!batonOutput.includes('Press Ctrl-C to stop.')) {
    if (exited) throw new Error(`npm start exited before Baton was up:\n${batonOutput}`);
    if (Date.now() > deadline) throw new Error(`npm start did not print its banner within 100 s:\n${batonOutput}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(batonOutput).toContain(`API          http://127.0.0.1:${apiPort}`);
  // What a user's `curl localhost:3000` reaches here: this test's Baton, nothing else on the machine.
  await writeFile(path.join(home, '.curlrc'), `connect-to = localhost:3000:127.0.0.1:${apiPort}\n`);
}, 120_000);

afterAll(async () => {
  if (baton?.pid && batonExited) {
    try {
      process.kill(-baton.pid, 'SIGINT');
    } catch {
      // already gone
    }
    const stopped = await Promise.race([batonExited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 45_000))]);
    if (!stopped) process.kill(-baton.pid, 'SIGKILL');
  }
  await rm(home, { recursive: true, force: true });
}, 60_000);

describe('the README tour', () => {
  it('runs as written against npm start: the lead-router run pauses and completes, the Agent Manager run pauses for review and completes', async () => {
    const { stdout: port } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{remote_port}', 'localhost:3000/healthz'], { env: tourEnv() });
    expect(port, 'curl localhost:3000 must reach the Baton this test started').toBe(String(apiPort));
    // Wait as a user waits for the banner: the worker polls and the store answers.
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status, { timeout: 30_000, interval: 250 }).toBe(200);

    const blocks = tourBlocks(readReadme());
    expect(blocks.length).toBeGreaterThan(0);
    const variablesFile = path.join(home, 'tour-variables.sh');
    await writeFile(variablesFile, '');
    const results: BlockResult[] = [];
    for (const block of blocks) {
      const result = await runBlock(block, variablesFile);
      // curl -s exits 0 on an error answer: no tour command may get one.
      expect(result.stdout, `README.md block at line ${block.line}`).not.toMatch(/"error":\{"code"/);
      results.push(result);
    }

    // What the tour promises, each at the block that shows it, in the order the README tells it.
    const at = (pattern: RegExp): { index: number; result: BlockResult } => {
      const matches = results.map((result, index) => ({ index, result })).filter(({ result }) => pattern.test(result.block.code));
      expect(matches.map(({ result }) => result.block.line), `exactly one tour block matches ${pattern}`).toHaveLength(1);
      return matches[0]!;
    };

    const start = at(/\/v1\/agents\/lead-router\/workflow/);
    const leadRun = start.result.variables.RUN ?? '';
    expect(leadRun).toMatch(/^wfr_[0-9A-Z]{26}$/);
    const paused = jsonLines(start.result).at(-1)!;
    expect(paused).toMatchObject({ status: 'paused', pendingAction: { step: 'approval', type: 'confirmation', options: ['approve', 'reject', 'escalate'] } });

    const cliGet = at(/npx baton runs get/);
    expect(cliGet.result.stdout).toContain(`Run     ${leadRun}`);
    expect(cliGet.result.stdout).toMatch(/^Status {2}paused$/m);
    expect(cliGet.result.stdout).toContain(`Answer with: baton runs resume ${leadRun} --step approval`);

    const v1Resume = at(/\/v1\/workflow-runs\/\$RUN\/resume/);
    expect(jsonLines(v1Resume.result).at(-1)).toMatchObject({ status: 'completed', result: { routedTo: 'enterprise-sales', leadId: 'lead-123' }, answeredBy: { via: 'api' } });

    const create = at(/\/api\/v1\/workflows -H/);
    expect(create.result.variables.WF).toMatch(/^wf-[0-9a-f]{12}$/);
    expect(jsonLines(create.result)).toEqual([
      { name: 'step-1', agentId: 'template', requireApproval: true },
      { name: 'step-2', agentId: 'template', requireApproval: false },
    ]);

    const amStart = at(/\/api\/v1\/workflows\/\$WF\/run /);
    const newsRun = amStart.result.variables.NEWS_RUN ?? '';
    expect(newsRun).toMatch(/^wfr_[0-9A-Z]{26}$/);
    expect(amStart.result.stdout.trim()).toBe(newsRun);

    const review = at(/runs\/\$NEWS_RUN \| jq -c \.pendingAction/);
    const [history, pending] = jsonLines(review.result);
    expect(history).toEqual({ id: newsRun, status: 'PAUSED', currentStepOrder: 1 });
    expect(pending).toMatchObject({ step: 'step-1', type: 'review', proposedOutput: 'Draft: three things to know about artificial intelligence in healthcare.' });

    const amResume = at(/runs\/\$NEWS_RUN\/resume/);
    const accepted = jsonLines(amResume.result).at(-1);
    expect(accepted?.runId).toBe(newsRun);
    expect(accepted?.jobId).toMatch(/^job-resume-/);

    const events = at(/runs\/\$NEWS_RUN\/events/);
    const dataLines = events.result.stdout.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as { id: string; status: string });
    expect(events.result.stdout).toContain('event: run');
    expect(dataLines.at(-1)).toMatchObject({ id: newsRun, status: 'COMPLETED' });

    const finished = at(/runs\/\$NEWS_RUN \| jq -c '\{status, result/);
    expect(jsonLines(finished.result).at(-1)).toEqual({
      status: 'COMPLETED',
      result: 'This week in our newsletter: Approved summary: AI is transforming diagnostics and drug discovery.',
      answers: [{ step: 'step-1', output: 'Approved summary: AI is transforming diagnostics and drug discovery.', comment: 'tightened the draft' }],
    });

    // Paused before answered, for both runs, as the README tells it.
    expect(start.index).toBeLessThan(v1Resume.index);
    expect(review.index).toBeLessThan(amResume.index);
    expect(amResume.index).toBeLessThan(finished.index);
  }, 240_000);
});
