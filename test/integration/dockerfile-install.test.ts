// The Baton image without a Docker engine: what .ci/Dockerfile copies goes into a clean folder, its
// install command runs there, and the image's entrypoint, every production module and the `api` and
// `worker` roles must work with production dependencies only (a devDependency imported by production
// code fails here, not in a deployment).
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/temporal/dev-server.ts';
import { dropSchema, postgresUrl } from './store-backends.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface DockerfileSteps {
  env: Record<string, string>;
  copies: Array<{ sources: string[]; destination: string }>;
  installCommand: string;
  entrypoint: string[];
}

async function readDockerfile(): Promise<DockerfileSteps> {
  const lines = (await readFile(path.join(repoRoot, '.ci/Dockerfile'), 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const steps: DockerfileSteps = { env: {}, copies: [], installCommand: '', entrypoint: [] };
  for (const line of lines) {
    const [instruction, rest = ''] = line.split(/\s+(.*)/s);
    if (instruction === 'ENV') for (const pair of rest.split(/\s+/)) steps.env[pair.split('=')[0]!] = pair.slice(pair.indexOf('=') + 1);
    if (instruction === 'COPY') {
      const words = rest.split(/\s+/);
      if (words.some((word) => word.startsWith('--'))) throw new Error(`COPY with flags is not reproduced by this test: ${line}`);
      steps.copies.push({ sources: words.slice(0, -1), destination: words.at(-1)! });
    }
    // The RUN step's other commands (`npm cache clean --force`) would empty this machine's shared cache.
    if (instruction === 'RUN') steps.installCommand = rest.split('&&').map((part) => part.trim()).find((part) => part.startsWith('npm ci')) ?? '';
    if (instruction === 'ENTRYPOINT') steps.entrypoint = JSON.parse(rest) as string[];
  }
  return steps;
}

/** .dockerignore entries as plain names; a pattern this test cannot honour fails it rather than being skipped. */
async function readDockerignore(): Promise<string[]> {
  const entries = (await readFile(path.join(repoRoot, '.ci/Dockerfile.dockerignore'), 'utf8')).split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  for (const entry of entries) if (/[*?[\]!]/.test(entry)) throw new Error(`.dockerignore pattern ${entry} needs glob support in this test`);
  return entries.map((entry) => entry.replace(/^\/|\/$/g, ''));
}

// Node 24 runs npm too, as in the node:24 image (the machine's default node may be older).
const nodeDir = path.dirname(process.execPath);
let appDir: string;
let steps: DockerfileSteps;
let imageEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  steps = await readDockerfile();
  const ignored = await readDockerignore();
  appDir = await mkdtemp(path.join(os.tmpdir(), 'baton-image-'));
  for (const { sources, destination } of steps.copies) {
    for (const source of sources) {
      const target = destination.endsWith('/') ? path.join(appDir, destination, path.basename(source)) : path.join(appDir, destination);
      await cp(path.join(repoRoot, source), target, {
        recursive: true,
        filter: (from) => {
          const relative = path.relative(repoRoot, from);
          return !ignored.some((entry) => relative === entry || relative.startsWith(`${entry}/`));
        },
      });
    }
  }
  imageEnv = { ...process.env, ...steps.env, PATH: `${nodeDir}${path.delimiter}${process.env.PATH ?? ''}`, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'BATON_API_KEYS', 'HOST', 'PORT']) delete imageEnv[name];
  const [command, ...args] = steps.installCommand.split(/\s+/);
  await run(command!, args, { cwd: appDir, env: imageEnv, maxBuffer: 16 * 1024 * 1024 });
}, 180_000);

afterAll(async () => {
  if (appDir) await rm(appDir, { recursive: true, force: true });
});

/** The image's ENTRYPOINT with `args` as its CMD, run in the installed folder. */
function entrypoint(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const [, ...entryArgs] = steps.entrypoint;
  const child = spawn(process.execPath, [...entryArgs, ...args], { cwd: appDir, env: { ...imageEnv, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('the Baton image built from .ci/Dockerfile', () => {
  it('installs production dependencies only, with the Dockerfile\'s own install command', async () => {
    expect(steps.installCommand).toBe('npm ci --omit=dev --ignore-scripts');
    expect(steps.entrypoint.slice(0, 2)).toEqual(['node', 'src/cli/baton.ts']);
    const manifest = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const lock = JSON.parse(await readFile(path.join(appDir, 'node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    expect(Object.entries(lock.packages).filter(([, entry]) => entry.dev).map(([name]) => name)).toEqual([]);
    for (const name of ['vitest', 'typescript', 'eslint', 'openapi-typescript', 'fast-check']) {
      expect(name in manifest.devDependencies).toBe(true);
      expect(lock.packages[`node_modules/${name}`], name).toBeUndefined();
    }
    expect(await readdir(appDir)).not.toContain('test');
  });

  it('runs its entrypoint: `baton --help` prints the usage', async () => {
    const help = entrypoint(['--help']);
    expect(await help.exited, help.output()).toBe(0);
    expect(help.output()).toContain('usage: baton <command>');
  });

  it('imports every production module with production dependencies only', async () => {
    const modules: string[] = [];
    for (const folder of ['src', 'api', 'workers']) {
      for (const file of await readdir(path.join(appDir, folder), { recursive: true })) {
        if (file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.endsWith('.d.ts')) modules.push(`./${folder}/${file}`);
      }
    }
    // Entry points run when imported: they are started by the other tests here instead.
    const entries = new Set([`./${steps.entrypoint[1]}`, './workers/main.ts']);
    const imports = modules.filter((module) => !entries.has(module));
    expect(imports.length).toBeGreaterThan(50);
    const script = `for (const m of ${JSON.stringify(imports)}) await import(m).catch((e) => { console.error(m + ': ' + e.message); process.exitCode = 1; });`;
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: appDir, env: imageEnv }).catch((error: { stderr: string }) => ({ stderr: error.stderr }));
    expect(stderr).toBe('');
  });

  it('imports, from production code, only packages listed in `dependencies` (one hoisted from another package may vanish)', async () => {
    const manifest = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    const undeclared: string[] = [];
    for (const folder of ['src', 'api', 'workers']) {
      for (const file of await readdir(path.join(appDir, folder), { recursive: true })) {
        if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
        // Examples in doc comments (`* import … from '@baton/sdk'`) are not imports.
        const source = (await readFile(path.join(appDir, folder, file), 'utf8')).split('\n').filter((line) => !/^\s*(\*|\/\/)/.test(line)).join('\n');
        for (const [, specifier] of source.matchAll(/(?:^|\s)(?:from|import)\s*\(?\s*'([^'.][^']*)'/gm)) {
          const name = specifier!.startsWith('@') ? specifier!.split('/').slice(0, 2).join('/') : specifier!.split('/')[0]!;
          if (!name.startsWith('node:') && name !== manifest.name && !(name in manifest.dependencies)) undeclared.push(`${folder}/${file}: ${specifier}`);
        }
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('starts `api` and `worker` against Temporal and PostgreSQL: the API turns ready', async () => {
    const port = await freePort();
    const schema = `image_roles_${Date.now()}`;
    const shared = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), BATON_TASK_QUEUE: `image-${Date.now()}`, DATABASE_URL: postgresUrl, BATON_DATABASE_SCHEMA: schema, BATON_HOME: path.join(appDir, '.baton') };
    const api = entrypoint(['api'], { ...shared, PORT: String(port) });
    const worker = entrypoint(['worker'], shared);
    try {
      let exitedEarly = false;
      void Promise.race([api.exited, worker.exited]).then(() => { exitedEarly = true; });
      await expect.poll(async () => {
        if (exitedEarly) throw new Error(`a role exited:\n${api.output()}\n${worker.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.status;
      }, { timeout: 60_000, interval: 250 }).toBe(200);
      expect(worker.output()).toContain('Baton worker is running');
      worker.child.kill('SIGTERM');
      api.child.kill('SIGTERM');
      expect(await worker.exited, worker.output()).toBe(0);
      expect(await api.exited, api.output()).toBe(0);
    } finally {
      api.child.kill('SIGKILL');
      worker.child.kill('SIGKILL');
      await dropSchema(schema);
    }
  }, 120_000);
});
