// The SDK as another project gets it: `npm pack` of the src/sdk workspace, installed from the
// tarball into an empty project, imported by plain Node 20 and Node 24 against a running Baton,
// and type-checked by a strict nodenext consumer.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startV1Stack, type V1Stack } from './v1-stack.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const nodes = { 'Node 20': '/usr/bin/node', 'Node 24': path.join(root, 'node_modules/.bin/node') };
// npm variables of an enclosing `npm test` (a workspace, a prefix) must not steer the nested npm calls.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
const npmEnv = { ...env, npm_config_update_notifier: 'false', npm_config_audit: 'false', npm_config_fund: 'false' };

// Plain JavaScript, as a project without TypeScript runs it.
const consumerScript = `import { BatonApiError, createClient } from '@baton/sdk';

const client = createClient({ baseUrl: process.env.BATON_URL, apiKey: process.env.BATON_API_KEY });
const started = await client.agents.workflow('lead-router', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } } });
const read = await client.workflowRuns.get(started.run_id);
await client.workflowRuns.resume(started.run_id, { input: { resume: { step: 'approval', input: 'approve' } } });
const watched = [];
let result;
for await (const run of client.workflowRuns.watchRun(started.run_id)) {
  watched.push(run.output.status);
  result = run.output.result;
}
let notFound;
try {
  await client.workflowRuns.get('wfr_does_not_exist');
} catch (error) {
  notFound = error instanceof BatonApiError ? error.code : String(error);
}
console.log(JSON.stringify({ version: process.version, started, read, watched, result, notFound }));
`;

// Each @ts-expect-error fails the check (TS2578) if the types it guards were loose, e.g. any.
const consumerTypes = `import { BatonApiError, createClient, verifyWebhookSignature, type RunStatus, type V1Run, type WebhookEvent } from '@baton/sdk';

const client = createClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'key' });

export async function route(): Promise<RunStatus> {
  const run: V1Run = await client.agents.workflow('lead-router', { input: { task: 'Route this lead', state: { leadId: 'lead-123' } }, waitMs: 5000 });
  const action = run.output.pendingAction;
  if (action?.type === 'confirmation') console.log(action.options.join(', '));
  for await (const change of client.workflowRuns.watchRun(run.run_id)) console.log(change.output.steps.map((step) => step.name));
  // @ts-expect-error: a status is one of five strings
  const wrong: number = run.output.status;
  // @ts-expect-error: a start needs the task
  await client.agents.workflow('lead-router', { input: { state: {} } });
  return wrong ? 'failed' : run.output.status;
}

export function receive(secret: string, headers: Headers, body: string): WebhookEvent | null {
  return verifyWebhookSignature(secret, headers, body) ? (JSON.parse(body) as WebhookEvent) : null;
}

export function codeOf(error: unknown): string | undefined {
  return error instanceof BatonApiError ? error.code : undefined;
}
`;

interface PackResult { filename: string; files: { path: string }[] }

let work: string;
let project: string;
let packed: PackResult;
let stack: V1Stack;

async function packAndInstall(): Promise<void> {
  const { stdout } = await run('npm', ['pack', '--workspace', 'src/sdk', '--pack-destination', work, '--json'], { cwd: root, env: npmEnv });
  packed = (JSON.parse(stdout) as PackResult[])[0]!;
  project = path.join(work, 'consumer');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Zero dependencies: nothing to fetch.
  await run('npm', ['install', '--offline', path.join(work, packed.filename)], { cwd: project, env: npmEnv });
  await writeFile(path.join(project, 'consumer.mjs'), consumerScript);
  await writeFile(path.join(project, 'consumer.ts'), consumerTypes);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'baton-sdk-package-'));
  [stack] = await Promise.all([startV1Stack('sdk-package'), packAndInstall()]);
}, 300_000);
afterAll(async () => {
  await stack?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the @baton/sdk package', () => {
  it('holds only the built JavaScript and declarations, its package.json and its README', async () => {
    const files = packed.files.map((file) => file.path).sort();
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/api-types.d.ts']));
    for (const file of files) expect(file).toMatch(/^(README\.md|package\.json|dist\/[a-z-]+\.(js|d\.ts))$/);

    const manifest = JSON.parse(await readFile(path.join(project, 'node_modules/@baton/sdk/package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({ name: '@baton/sdk', type: 'module' });
    expect(manifest.private).toBeUndefined();
    expect(manifest.dependencies).toBeUndefined();
    expect(await readdir(path.join(project, 'node_modules'))).toEqual(['.package-lock.json', '@baton']);
  });

  it('imports nothing but its own files and Node builtins, and its declarations no zod', async () => {
    const dist = path.join(project, 'node_modules/@baton/sdk/dist');
    for (const file of await readdir(dist)) {
      const text = await readFile(path.join(dist, file), 'utf8');
      const specifiers = [...text.matchAll(/^(?:import|export)\b.*? from ['"]([^'"]+)['"]/gm)].map((match) => match[1]);
      for (const specifier of specifiers) expect(specifier, `${file} imports ${specifier}`).toMatch(/^(\.\/[a-z-]+\.js|node:[a-z]+)$/);
    }
  });

  for (const [name, node] of Object.entries(nodes)) {
    it(`runs under ${name}: starts a run, reads it, resumes it, watches it end over SSE, and reports errors`, async () => {
      const [projectName] = stack.projects;
      const { stdout } = await run(node, ['consumer.mjs'], {
        cwd: project,
        env: { ...env, BATON_URL: stack.url, BATON_API_KEY: stack.keyOf(projectName) },
      });
      const report = JSON.parse(stdout) as {
        version: string; started: { run_id: string; output: { status: string } }; read: unknown; watched: string[]; result: unknown; notFound: string;
      };
      expect(report.version.startsWith(name === 'Node 20' ? 'v20.' : 'v24.')).toBe(true);
      expect(report.started.output.status).toBe('paused');
      expect(report.read).toStrictEqual(report.started);
      expect(report.watched.at(-1)).toBe('completed');
      expect(report.result).toMatchObject({ routedTo: 'enterprise-sales', leadId: 'lead-123' });
      expect(report.notFound).toBe('run_not_found');
      // The run the consumer made is the API's own.
      expect((await stack.sdk(0).workflowRuns.get(report.started.run_id)).output.status).toBe('completed');
    }, 120_000);
  }

  it('type-checks a strict nodenext consumer, and its types catch a wrong use', async () => {
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const result = await run(nodes['Node 24'], [tsc, '--module', 'nodenext', '--moduleResolution', 'nodenext', '--strict', '--noEmit', 'consumer.ts'], { cwd: project, env })
      .then(({ stdout }) => ({ code: 0, stdout }), (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }));
    expect(result).toStrictEqual({ code: 0, stdout: '' });
  }, 180_000);

  it('declares for each API type what the domain zod schema infers (assignable both ways)', async () => {
    const sourceTypes = path.join(root, 'src/sdk/api-types.ts');
    const names = [...(await readFile(sourceTypes, 'utf8')).matchAll(/^export type \{([^}]+)\}/gm)]
      .flatMap((match) => match[1]!.split(',').map((name) => name.trim()).filter(Boolean));
    expect(names).toEqual(expect.arrayContaining(['V1Run', 'V1RunList', 'WebhookEvent', 'SpringPage']));
    const argument = (name: string) => (name === 'SpringPage' ? '<{ id: string }>' : '');
    await writeFile(path.join(project, 'same-types.ts'), [
      `import type * as Packaged from '@baton/sdk';`,
      `import type * as Domain from ${JSON.stringify(sourceTypes)};`,
      'type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;',
      ...names.map((name) => `export const same${name}: Same<Packaged.${name}${argument(name)}, Domain.${name}${argument(name)}> = true;`),
      '',
    ].join('\n'));
    const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
    const flags = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--strict', '--noEmit', '--allowImportingTsExtensions', '--skipLibCheck'];
    const result = await run(nodes['Node 24'], [tsc, ...flags, 'same-types.ts'], { cwd: project, env })
      .then(({ stdout }) => ({ code: 0, stdout }), (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }));
    expect(result).toStrictEqual({ code: 0, stdout: '' });
  }, 180_000);
});
