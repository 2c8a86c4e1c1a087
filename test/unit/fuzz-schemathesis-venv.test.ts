import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSchemathesis, SCHEMATHESIS_VERSION } from '../fuzz/schemathesis-venv.ts';

const dirs: string[] = [];
afterEach(async () => { for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true }); });

/** A venv with a `schemathesis` that reports `version` and a `pip` that records its arguments and "installs" the pin. */
async function fakeVenv(version: string): Promise<{ venvDir: string; pipLog: string }> {
  const venvDir = await mkdtemp(path.join(os.tmpdir(), 'fuzz-venv-test-'));
  dirs.push(venvDir);
  const bin = path.join(venvDir, 'bin');
  await mkdir(bin);
  const pipLog = path.join(venvDir, 'pip.log');
  const reporter = (v: string) => `#!/bin/sh\necho "schemathesis, version ${v}"\n`;
  await writeFile(path.join(bin, 'schemathesis'), reporter(version));
  await writeFile(path.join(bin, 'pip'), `#!/bin/sh\necho "$@" >> ${JSON.stringify(pipLog)}\nprintf ${JSON.stringify(reporter(SCHEMATHESIS_VERSION))} > ${JSON.stringify(path.join(bin, 'schemathesis'))}\n`);
  await chmod(path.join(bin, 'schemathesis'), 0o755);
  await chmod(path.join(bin, 'pip'), 0o755);
  return { venvDir, pipLog };
}

describe('ensureSchemathesis', () => {
  it('uses a venv that already has the pinned version without running pip', async () => {
    const { venvDir, pipLog } = await fakeVenv(SCHEMATHESIS_VERSION);
    expect(await ensureSchemathesis({ venvDir })).toBe(path.join(venvDir, 'bin', 'schemathesis'));
    await expect(readFile(pipLog, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('installs exactly the pinned version over another one', async () => {
    const { venvDir, pipLog } = await fakeVenv('3.0.0');
    expect(await ensureSchemathesis({ venvDir })).toBe(path.join(venvDir, 'bin', 'schemathesis'));
    expect(await readFile(pipLog, 'utf8')).toContain(`schemathesis==${SCHEMATHESIS_VERSION}`);
  });
});
