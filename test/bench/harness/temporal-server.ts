// A throwaway Temporal dev server for one bench run: free ports, headless, SQLite in a temp folder.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../../src/temporal/temporal-cli.ts';
import { freePort, startDevServer, type DevServer } from '../../../src/temporal/dev-server.ts';

export interface BenchTemporal {
  address: string;
  namespace: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startBenchTemporal(log: (line: string) => void = () => {}): Promise<BenchTemporal> {
  const homeDir = path.resolve(process.env.BATON_HOME ?? '.baton');
  const cli = await findTemporalCli({ homeDir, log });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'baton-bench-temporal-'));
  let server: DevServer;
  try {
    server = await startDevServer({
      cliPath: cli.path,
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      port: await freePort(),
      uiPort: await freePort(),
      headless: true,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  log(`Temporal dev server ${server.address} (pid ${server.pid}, data in ${dataDir})`);
  return {
    address: server.address,
    namespace: server.namespace,
    pid: server.pid,
    async stop() {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
