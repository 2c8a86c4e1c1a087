// Where Baton's processes spend CPU beside the floor's, under the same load: a throwaway dev server,
// `baton worker` + `baton api` on PostgreSQL (database baton_bench_profile), then the floor's
// worker; each driven for a few seconds at a concurrency. Prints CPU ms per cycle and RSS of each
// process (dev server, worker, API). With PROFILE_DIR set, every process also writes V8 CPU profiles
// there (one per thread: `.0.` is a worker's main thread, `.1.` its workflow thread), to open in
// Chrome DevTools; the profiler slows everything, so compare the CPU figures of runs without it.
//
//   node test/bench/profile-processes.ts [seconds=12] [concurrency=4] [baton|floor|both]
// Not a benchmark (one run each, not interleaved): a microscope for tuning, like profile-cycle.ts.
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { createBatonHttpContender } from './baton-http.ts';
import { readCpuMs } from './cpu.ts';
import { startBatonStack } from './harness/baton-stack.ts';
import { recreateDatabase } from './harness/postgres.ts';
import { startBenchTemporal } from './harness/temporal-server.ts';
import { createTemporalFloorContender, startFloorWorker } from './temporal-floor.ts';

const seconds = Number(process.argv[2] ?? 12);
const concurrency = Number(process.argv[3] ?? 4);
const which = process.argv[4] ?? 'both';
const profileDir = process.env.PROFILE_DIR ? path.resolve(process.env.PROFILE_DIR) : null;
const profiling = (name: string): Record<string, string> => (profileDir ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${path.join(profileDir, name)} --cpu-prof-interval=200` } : {});
const warmUpCycles = 20;

if (profileDir) {
  await rm(profileDir, { recursive: true, force: true });
  await mkdir(profileDir, { recursive: true });
}
const temporal = await startBenchTemporal(console.error);

async function rssMb(pid: number): Promise<string> {
  const kb = (await readFile(`/proc/${pid}/status`, 'utf8')).match(/VmRSS:\s+(\d+)/)?.[1];
  return kb ? `${Math.round(Number(kb) / 1024)} MB` : '?';
}

async function drive(name: string, cycle: () => Promise<unknown>, processes: Record<string, number>) {
  for (let i = 0; i < warmUpCycles; i++) await cycle();
  const pids = Object.values(processes);
  const before = await Promise.all(pids.map((pid) => readCpuMs(pid)));
  let cycles = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      await cycle();
      cycles++;
    }
  }));
  const after = await Promise.all(pids.map((pid) => readCpuMs(pid)));
  const rss = await Promise.all(pids.map((pid) => rssMb(pid)));
  console.log(`${name}: ${cycles} cycles in ${seconds} s at concurrency ${concurrency}, ${(cycles / seconds).toFixed(1)} cycles/s`);
  Object.keys(processes).forEach((role, i) => console.log(`  ${role}: ${((after[i]! - before[i]!) / cycles).toFixed(1)} ms CPU/cycle, RSS ${rss[i]}`));
}

try {
  if (which !== 'floor') {
    const databaseUrl = await recreateDatabase('baton_bench_profile');
    const stack = await startBatonStack({ temporal, databaseUrl, taskQueue: 'profile-baton', workers: 1, api: true, env: profiling('baton') });
    try {
      const contender = createBatonHttpContender(stack.apiUrl!, 'baton');
      await drive('baton', () => contender.cycle(), { 'dev server': temporal.pid, worker: stack.workers[0]!.pid, api: stack.api!.pid });
    } finally {
      await stack.stop();
    }
  }
  if (which !== 'baton') {
    const options = process.env.NODE_OPTIONS;
    Object.assign(process.env, profiling('floor'));
    const worker = await startFloorWorker(temporal, 'profile-floor');
    if (options === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = options;
    const contender = createTemporalFloorContender({ address: temporal.address, namespace: temporal.namespace, taskQueue: 'profile-floor' });
    try {
      await contender.setup();
      await drive('temporal-floor', () => contender.cycle(), { 'dev server': temporal.pid, worker: worker.pid });
    } finally {
      await contender.teardown();
      await worker.stop();
    }
  }
} finally {
  await temporal.stop();
}
