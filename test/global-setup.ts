import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { findTemporalCli } from '../src/temporal/temporal-cli.ts';
import { freePort, startDevServer } from '../src/temporal/dev-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    temporalCliPath: string;
  }
}

/** Starts one Temporal dev server for the whole run, on free ports with a throwaway database. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const homeDir = path.resolve(process.env.BATON_HOME ?? '.baton');
  const cli = await findTemporalCli({ homeDir, log: (line) => console.log(`[temporal] ${line}`) });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-test-temporal-'));
  const server = await startDevServer({
    cliPath: cli.path,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    port: await freePort(),
    uiPort: await freePort(),
    headless: true,
  });
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', server.namespace);
  project.provide('temporalCliPath', cli.path);
  return async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
