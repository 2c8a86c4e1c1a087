import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npx baton …` from a checkout: package.json's bin is the TypeScript entry point itself, run by
// Node's type stripping, so it must start with a node shebang and be executable.
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the baton bin', () => {
  it('is an executable TypeScript file with a node shebang', async () => {
    const manifest = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { bin: { baton: string }; engines: { node: string } };
    const bin = path.join(root, manifest.bin.baton);
    expect((await readFile(bin, 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    expect((await stat(bin)).mode & 0o111).toBe(0o111);
    // Type stripping runs without a flag from Node 22.18 on.
    expect(manifest.engines.node).toBe('>=22.18.0');
  });

  it('runs as `npx baton --help` from the repository root, without fetching anything', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--offline', 'baton', '--help'], { cwd: root, env: { ...process.env, npm_config_update_notifier: 'false' } });
    expect(stdout).toMatch(/^usage: baton <command>\n/);
    for (const command of ['start', 'api', 'worker', 'runs']) expect(stdout).toMatch(new RegExp(`^  ${command} +\\S`, 'm'));
  });
});
