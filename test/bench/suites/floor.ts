// Suite: the yardstick. The approval cycle as tightly as Temporal allows (temporal-floor: its own
// worker process, local activities, update-with-start of `settle`, one `resume` Update) beside Baton
// over HTTP on its embedded defaults (`baton start`: worker and API in one process, PGlite) and on
// PostgreSQL (`baton worker` + `baton api`), all three on one dev server, interleaved round by round
// at concurrency 1 and 16. Then a burst per contender: 200 starts at once, then 200 resumes at once.
import { createBatonHttpContender, describeProcess } from '../baton-http.ts';
import { runBurst, type BurstResult } from '../burst.ts';
import type { ApprovalLegs, Contender } from '../contender.ts';
import { readCpuOf } from '../cpu.ts';
import { burstTable, cpuKeys, cpuRatioTable, floorCpuTable, floorTargets, floorVerdict, verdictTable } from '../floor-report.ts';
import { AGENT_RUN_WORKFLOW } from '../../../src/workflows/messages.ts';
import { FLOOR_WORKFLOW } from '../floor/messages.ts';
import { anatomyTable, type HistoryAnatomy, historyAnatomy } from '../history-anatomy.ts';
import type { BatonProcess } from '../harness/baton-process.ts';
import { BENCH_STORE_DATABASE, type BatonStack, startBatonEmbedded, startBatonStack } from '../harness/baton-stack.ts';
import { createPostgresCpuMeter, recreateDatabase } from '../harness/postgres.ts';
import { startBenchTemporal } from '../harness/temporal-server.ts';
import { type ContenderSummary, type RoundResult, interleave, summarizeRounds } from '../measure.ts';
import { contenderTable } from '../report.ts';
import { type BenchOptions, roundAt, type Suite, type SuiteReport } from '../suite.ts';
import { createTemporalFloorContender, startFloorWorker } from '../temporal-floor.ts';

const names = { floor: 'temporal-floor', embedded: 'baton-pglite', postgres: 'baton-postgres' } as const;

export const floorSuite: Suite = {
  name: 'floor',
  async run(options: BenchOptions): Promise<SuiteReport> {
    const log = options.log;
    const temporal = await startBenchTemporal(log);
    const stoppers: Array<() => Promise<void>> = [() => temporal.stop()];
    // Their legs apart too, for the burst (method parameters are bivariant, so each one's own T fits).
    const contenders: Array<Contender & { legs: ApprovalLegs<unknown> }> = [];
    const summaries: ContenderSummary[] = [];
    const rounds: Record<string, Record<string, RoundResult[]>> = {};
    const bursts: BurstResult[] = [];
    let anatomy: HistoryAnatomy[];
    const levels = (options.quick ? [1, 4] : [1, 16]).map((concurrency) => roundAt(options, concurrency));
    const burstSize = options.quick ? 20 : 200;
    try {
      const databaseUrl = await recreateDatabase(BENCH_STORE_DATABASE);
      const floorWorker: BatonProcess = await startFloorWorker(temporal, 'baton-bench-floor', log);
      stoppers.push(() => floorWorker.stop());
      const embedded: BatonStack = await startBatonEmbedded({ temporal, taskQueue: 'baton-bench-embedded', log });
      stoppers.push(() => embedded.stop());
      const postgres: BatonStack = await startBatonStack({ temporal, databaseUrl, taskQueue: 'baton-bench-postgres', workers: 1, api: true, log });
      stoppers.push(() => postgres.stop());
      const storeMeter = await createPostgresCpuMeter(BENCH_STORE_DATABASE);
      stoppers.push(() => storeMeter.close());

      const floor = createTemporalFloorContender({ address: temporal.address, namespace: temporal.namespace, taskQueue: 'baton-bench-floor', name: names.floor });
      const onEmbedded = createBatonHttpContender(embedded.apiUrl as string, names.embedded, () => describeProcess(embedded.api));
      const onPostgres = createBatonHttpContender(postgres.apiUrl as string, names.postgres, () => describeProcess(postgres.api));
      contenders.push(floor, onEmbedded, onPostgres);
      for (const contender of contenders) await contender.setup();
      stoppers.push(() => floor.teardown());

      // Each contender's own processes, the shared dev server and the client; sums from the same samples.
      const processesOf: Record<string, Record<string, number>> = {
        [names.floor]: { [cpuKeys.devServer]: temporal.pid, [cpuKeys.worker]: floorWorker.pid, [cpuKeys.client]: process.pid },
        [names.embedded]: { [cpuKeys.devServer]: temporal.pid, [cpuKeys.workerAndApi]: embedded.api?.pid ?? -1, [cpuKeys.client]: process.pid },
        [names.postgres]: { [cpuKeys.devServer]: temporal.pid, [cpuKeys.worker]: postgres.workers[0]?.pid ?? -1, [cpuKeys.api]: postgres.api?.pid ?? -1, [cpuKeys.client]: process.pid },
      };
      const cpuProbe = async (contender: Contender) => {
        const cpu = await readCpuOf(processesOf[contender.name] ?? {});
        const total = Object.values(cpu).reduce((sum, value) => sum + value, 0);
        if (contender.name !== names.postgres) return { ...cpu, [cpuKeys.total]: total };
        const store = await storeMeter.read();
        return { ...cpu, [cpuKeys.postgres]: store, [cpuKeys.total]: total, [cpuKeys.totalWithPostgres]: total + store };
      };

      for (const level of levels) {
        log(`floor: concurrency ${level.concurrency}, rounds of ${level.durationMs / 1000} s`);
        const results = await interleave(contenders, { ...level, repeats: options.repeats, log, cpuProbe });
        rounds[`c${level.concurrency}`] = Object.fromEntries(results);
        for (const contender of contenders) summaries.push(summarizeRounds(results.get(contender.name) ?? []));
      }
      // Read before the bursts, so the histories are the rounds' cycles.
      const queues = [[names.floor, FLOOR_WORKFLOW, 'baton-bench-floor'], [names.embedded, AGENT_RUN_WORKFLOW, embedded.taskQueue], [names.postgres, AGENT_RUN_WORKFLOW, postgres.taskQueue]] as const;
      anatomy = await Promise.all(queues.map(([contender, workflowType, taskQueue]) => historyAnatomy({ temporal, contender, workflowType, taskQueue, runs: 10 })));
      for (const contender of contenders) {
        log(`floor: burst of ${burstSize} starts, then ${burstSize} resumes, on ${contender.name}`);
        const burst = await runBurst(contender.name, contender.legs, burstSize);
        log(`  ${contender.name}: starts ${burst.starts.succeeded}/${burstSize} ok, resumes ${burst.resumes.succeeded}/${burst.starts.succeeded} ok`);
        bursts.push(burst);
      }
    } finally {
      for (const stop of stoppers.reverse()) await stop().catch((error: unknown) => log(`floor: stopping failed: ${(error as Error).message}`));
    }

    const pick = (name: string, concurrency: number) => summaries.find((s) => s.contender === name && s.concurrency === concurrency);
    const verdicts = levels.flatMap((level) => [names.embedded, names.postgres].flatMap((name) => {
      const subject = pick(name, level.concurrency);
      const baseline = pick(names.floor, level.concurrency);
      return subject && baseline ? [floorVerdict(subject, baseline)] : [];
    }));
    const markdown = [
      `Three contenders on one Temporal dev server, taking turns round by round: \`${names.floor}\` (its own worker process; the client is the bench process), ` +
        `\`${names.embedded}\` (one \`baton start\` process, worker and API, store in PGlite, pointed at the shared dev server) and ` +
        `\`${names.postgres}\` (\`baton worker\` + \`baton api\`, store on the local PostgreSQL).\n`,
      contenderTable(summaries),
      '\nCPU ms per cycle by process. "total" is the dev server, the engine\'s processes and the client (the floor\'s client makes the Temporal calls Baton\'s API makes); PostgreSQL\'s backends serving Baton\'s store are shown beside it:\n',
      floorCpuTable(summaries),
      `\nBaton relative to ${names.floor} (targets: throughput ≥ ${floorTargets.throughput.toFixed(2)}×, each leg's p50 ≤ ${floorTargets.legP50}×, total CPU per cycle ≤ ${floorTargets.cpu}×):\n`,
      verdictTable(verdicts, names.floor),
      '\nCPU per cycle by process, relative to the floor\'s:\n',
      cpuRatioTable(verdicts, names.floor),
      `\nPer run, mean over each contender's last ${anatomy[0]?.runs ?? 0} completed runs' histories (what Temporal stores and the dev server processes):\n`,
      anatomyTable(anatomy),
      `\nBurst: ${burstSize} starts at once, then (once all answered) ${burstSize} resumes at once, one contender after another; latency of each request as its client saw it:\n`,
      burstTable(bursts),
    ].join('\n');
    return { suite: 'floor', title: `The yardstick: Baton vs ${names.floor}`, markdown, data: { levels, summaries, verdicts, bursts, anatomy, rounds }, missing: [] };
  },
};
