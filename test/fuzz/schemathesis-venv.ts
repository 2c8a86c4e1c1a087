import { spawn } from 'node:child_process';
import { access, constants, rm } from 'node:fs/promises';
import path from 'node:path';

/** The schemathesis release the fuzz stage runs; bump deliberately (new releases add checks). */
export const SCHEMATHESIS_VERSION = '4.32.5';

export interface EnsureSchemathesisOptions {
  venvDir: string;
  python?: string;
  log?: (line: string) => void;
}

/**
 * The path of a schemathesis binary at SCHEMATHESIS_VERSION in a venv under venvDir, installing it
 * from PyPI only when the venv lacks that exact version (so a second run needs no network).
 */
export async function ensureSchemathesis(options: EnsureSchemathesisOptions): Promise<string> {
  const log = options.log ?? (() => {});
  const binary = path.join(options.venvDir, 'bin', 'schemathesis');
  const pip = path.join(options.venvDir, 'bin', 'pip');
  if (await installedVersion(binary) === SCHEMATHESIS_VERSION) return binary;

  log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${options.venvDir}`);
  if (!(await isExecutable(pip))) {
    await rm(options.venvDir, { recursive: true, force: true });
    await run(options.python ?? 'python3', ['-m', 'venv', options.venvDir]);
  }
  await run(pip, ['install', '--quiet', '--disable-pip-version-check', `schemathesis==${SCHEMATHESIS_VERSION}`]);
  const version = await installedVersion(binary);
  if (version !== SCHEMATHESIS_VERSION) throw new Error(`installed schemathesis reports version ${version ?? 'nothing'}, expected ${SCHEMATHESIS_VERSION}`);
  return binary;
}

async function installedVersion(binary: string): Promise<string | undefined> {
  if (!(await isExecutable(binary))) return undefined;
  try {
    const output = await run(binary, ['--version']);
    return /version\s+(\S+)/.exec(output)?.[1];
  } catch {
    return undefined;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function run(command: string, args: string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.trim().split('\n').slice(-15).join('\n')}`));
    });
  });
}
