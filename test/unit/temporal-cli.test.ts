import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTemporalCli, TemporalCliNotFoundError, type DiscoveryWay } from '../../src/temporal/temporal-cli.ts';
import { freePort } from '../../src/temporal/dev-server.ts';

let root: string;
beforeAll(async () => { root = await mkdtemp(path.join(os.tmpdir(), 'baton-cli-test-')); });
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

/** A stand-in for the Temporal CLI that answers `--version` like the real one. */
async function fakeTemporal(dir: string, version = 'temporal version 9.9.9 (fake)'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'temporal');
  await writeFile(file, `#!/bin/sh\necho "${version}"\n`);
  await chmod(file, 0o755);
  return file;
}

async function scratch(name: string): Promise<string> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

const noInstall: DiscoveryWay[] = ['PyPI wheel', 'official download'];

async function notFound(promise: Promise<unknown>): Promise<TemporalCliNotFoundError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TemporalCliNotFoundError);
  return error as TemporalCliNotFoundError;
}

describe('findTemporalCli', () => {
  it('prefers TEMPORAL_CLI_PATH over a temporal on PATH', async () => {
    const dir = await scratch('explicit-wins');
    const explicit = await fakeTemporal(path.join(dir, 'explicit'));
    const onPath = await fakeTemporal(path.join(dir, 'on-path'));
    const found = await findTemporalCli({ homeDir: path.join(dir, 'home'), env: { TEMPORAL_CLI_PATH: explicit, PATH: path.dirname(onPath) }, skip: noInstall });
    expect(found).toEqual({ path: explicit, way: 'TEMPORAL_CLI_PATH' });
  });

  it('prefers a temporal on PATH over the project install', async () => {
    const dir = await scratch('path-wins');
    const home = path.join(dir, 'home');
    await fakeTemporal(path.join(home, 'temporal-venv', 'bin'));
    const onPath = await fakeTemporal(path.join(dir, 'on-path'));
    const found = await findTemporalCli({ homeDir: home, env: { PATH: `/nonexistent:${path.dirname(onPath)}` }, skip: noInstall });
    expect(found).toEqual({ path: onPath, way: 'PATH' });
  });

  it('finds an earlier project install (venv first, then a download) when PATH has none', async () => {
    const dir = await scratch('project-install');
    const home = path.join(dir, 'home');
    const downloaded = await fakeTemporal(path.join(home, 'temporal-cli'));
    expect(await findTemporalCli({ homeDir: home, env: { PATH: '' }, skip: noInstall })).toEqual({ path: downloaded, way: 'project install' });
    const venv = await fakeTemporal(path.join(home, 'temporal-venv', 'bin'));
    expect(await findTemporalCli({ homeDir: home, env: { PATH: '' }, skip: noInstall })).toEqual({ path: venv, way: 'project install' });
  });

  it('falls past a TEMPORAL_CLI_PATH that does not exist and says why', async () => {
    const dir = await scratch('explicit-missing');
    const onPath = await fakeTemporal(path.join(dir, 'on-path'));
    const found = await findTemporalCli({ homeDir: dir, env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal', PATH: path.dirname(onPath) }, skip: noInstall });
    expect(found).toEqual({ path: onPath, way: 'PATH' });
  });

  it('rejects a binary named temporal that is not the Temporal CLI', async () => {
    const dir = await scratch('impostor');
    const impostor = await fakeTemporal(path.join(dir, 'bin'), 'something else 1.0');
    const error = await notFound(findTemporalCli({ homeDir: dir, env: { TEMPORAL_CLI_PATH: impostor, PATH: '' }, skip: noInstall }));
    expect(error.attempts[0]).toMatchObject({ way: 'TEMPORAL_CLI_PATH' });
    expect(error.attempts[0]!.reason).toContain('--version failed: something else 1.0');
  });

  it('rejects a file that is not executable', async () => {
    const dir = await scratch('not-executable');
    const file = await fakeTemporal(path.join(dir, 'bin'));
    await chmod(file, 0o644);
    const error = await notFound(findTemporalCli({ homeDir: dir, env: { TEMPORAL_CLI_PATH: file, PATH: '' }, skip: noInstall }));
    expect(error.attempts[0]!.reason).toContain('does not exist or is not executable');
  });

  it('names every way and why it failed when no binary can be had', async () => {
    const dir = await scratch('nothing');
    const closedPort = await freePort();
    const error = await notFound(findTemporalCli({
      homeDir: path.join(dir, 'home'),
      env: { PATH: path.join(dir, 'empty') },
      python: path.join(dir, 'no-such-python'),
      downloadUrl: `http://127.0.0.1:${closedPort}/cli`,
    }));
    expect(error.attempts.map((a) => a.way)).toEqual(['TEMPORAL_CLI_PATH', 'PATH', 'project install', 'PyPI wheel', 'official download']);
    expect(error.attempts[0]!.reason).toBe('not set');
    expect(error.attempts[1]!.reason).toContain('no "temporal" on PATH');
    expect(error.attempts[2]!.reason).toContain('nothing at');
    expect(error.attempts[3]!.reason).toContain('-m venv failed');
    expect(error.attempts[4]!.reason).toMatch(/127\.0\.0\.1:\d+\/cli.*ECONNREFUSED/);
    for (const way of ['1. TEMPORAL_CLI_PATH', '2. PATH', '3. project install', '4. PyPI wheel', '5. official download']) {
      expect(error.message).toContain(way);
    }
    expect(error.message).toContain('Set TEMPORAL_CLI_PATH');
  });

  it('says a way was skipped when told to skip it', async () => {
    const dir = await scratch('skipped');
    const error = await notFound(findTemporalCli({ homeDir: dir, env: { PATH: '' }, skip: ['PyPI wheel', 'official download'] }));
    expect(error.attempts.slice(3)).toEqual([{ way: 'PyPI wheel', reason: 'skipped' }, { way: 'official download', reason: 'skipped' }]);
  });

  describe('official download', () => {
    let server: http.Server;
    let baseUrl: string;
    let archive: Buffer;
    const requests: string[] = [];

    beforeAll(async () => {
      const dir = await scratch('archive');
      await fakeTemporal(path.join(dir, 'content'), 'temporal version 7.7.7 (downloaded)');
      await promisify(execFile)('tar', ['-czf', path.join(dir, 'temporal.tar.gz'), '-C', path.join(dir, 'content'), 'temporal']);
      archive = await readFile(path.join(dir, 'temporal.tar.gz'));
      server = http.createServer((req, res) => {
        requests.push(req.url ?? '');
        if (req.url?.startsWith('/cli/archive')) { res.writeHead(200); res.end(archive); return; }
        res.writeHead(404); res.end('not here');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

    it('downloads and unpacks the CLI into the project folder, asking for this platform', async () => {
      const home = path.join(await scratch('download-ok'), 'home');
      const found = await findTemporalCli({ homeDir: home, env: { PATH: '' }, skip: ['PyPI wheel'], downloadUrl: `${baseUrl}/cli/archive/latest` });
      expect(found).toEqual({ path: path.join(home, 'temporal-cli', 'temporal'), way: 'official download' });
      expect(requests.at(-1)).toMatch(/platform=(linux|darwin|windows)&arch=(amd64|arm64)/);
      // The next search finds it without downloading again.
      expect(await findTemporalCli({ homeDir: home, env: { PATH: '' }, skip: noInstall })).toEqual({ path: found.path, way: 'project install' });
    });

    it('reports the status of a download that is refused', async () => {
      const home = path.join(await scratch('download-404'), 'home');
      const error = await notFound(findTemporalCli({ homeDir: home, env: { PATH: '' }, skip: ['PyPI wheel'], downloadUrl: `${baseUrl}/missing` }));
      expect(error.attempts.at(-1)!.reason).toContain('answered 404');
    });
  });
});
