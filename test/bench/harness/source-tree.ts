// An earlier commit of this repository as a runnable tree, so a bench can run that engine's
// `baton worker` / `baton api` beside the current one: `git archive <commit>` unpacked into a
// folder under the OS temp dir (outside the repository, so typecheck, lint and the tests never see
// it), with node_modules linked to this checkout's. Nothing is rebuilt or patched: the files are
// exactly the commit's, and only commits whose runtime dependencies (package.json `dependencies`)
// this checkout has at the same versions are accepted, so both engines load the very same libraries
// on the same Node (packages only this checkout uses are never loaded by the earlier engine).
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface SourceTree {
  /** Full commit id the tree was unpacked from. */
  commit: string;
  /** Its first line, for the report. */
  subject: string;
  dir: string;
  /** That tree's `baton` CLI. */
  cliPath: string;
}

async function git(...args: string[]): Promise<string> {
  return (await run('git', ['-C', repositoryRoot, ...args], { maxBuffer: 1 << 20 })).stdout.trim();
}

/** The full id and subject of `rev` in this repository; throws when it is not a commit here. */
export async function describeCommit(rev: string): Promise<{ commit: string; subject: string }> {
  const commit = await git('rev-parse', '--verify', `${rev}^{commit}`);
  return { commit, subject: await git('log', '-1', '--format=%s', commit) };
}

/**
 * The commit the current tree is at, with `+changes` when the engine's files in the work tree (not
 * the bench's or the tests') differ from it: the engine under test is then not that commit's.
 */
export async function describeWorkTree(): Promise<string> {
  const head = await git('rev-parse', '--short=7', 'HEAD');
  const dirty = (await git('status', '--porcelain', '--untracked-files=all', '--', 'src', 'api', 'workers', 'package.json', 'package-lock.json')) !== '';
  return dirty ? `${head}+changes` : head;
}

/**
 * Unpacks `rev` (once; later runs reuse the folder, keyed by the full commit id) and returns where its
 * CLI is. Refuses a commit with a runtime dependency this checkout lacks or has at another version:
 * its engine would then run on libraries it was not written for (dev tools such as test drivers do
 * not matter here, nor packages only this checkout added).
 */
export async function checkoutCommit(rev: string, log: (line: string) => void = () => {}): Promise<SourceTree> {
  const { commit, subject } = await describeCommit(rev);
  const dependencies = (text: string) => (JSON.parse(text) as { dependencies?: Record<string, string> }).dependencies ?? {};
  const ours = dependencies(await readFile(path.join(repositoryRoot, 'package.json'), 'utf8'));
  const differing = Object.entries(dependencies(await git('show', `${commit}:package.json`))).filter(([name, version]) => ours[name] !== version);
  if (differing.length > 0) {
    throw new Error(`${commit.slice(0, 7)} depends on ${differing.map(([name, version]) => `${name}@${version}`).join(', ')}, which this checkout does not have at that version: its engine would run on libraries it was not written for`);
  }
  const dir = path.join(os.tmpdir(), `baton-bench-tree-${commit}`);
  const marker = path.join(dir, '.bench-commit');
  const ready = await readFile(marker, 'utf8').then((text) => text.trim() === commit, () => false);
  if (!ready) {
    log(`unpacking ${commit.slice(0, 7)} (${subject}) into ${dir}`);
    const partial = `${dir}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true });
    try {
      // git archive | tar: the commit's files as committed, no .git, no work-tree changes.
      await run('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', repositoryRoot, commit, partial]);
      await symlink(await realpath(path.join(repositoryRoot, 'node_modules')), path.join(partial, 'node_modules'), 'dir');
      await writeFile(path.join(partial, '.bench-commit'), `${commit}\n`);
      await rm(dir, { recursive: true, force: true });
      await rename(partial, dir);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
  }
  const cliPath = path.join(dir, 'src', 'cli', 'baton.ts');
  await access(cliPath);
  return { commit, subject, dir, cliPath };
}
