// Suite 1: what the HTTP facade costs. The same approval cycle through Baton's API and directly
// through the Temporal client (update-with-start, then updates), on one dev server and one worker.
import { createBatonHttpContender, describeProcess } from '../baton-http.ts';
import type { Contender } from '../contender.ts';
import { startBatonDeployment } from '../harness/baton-stack.ts';
import { type ContenderSummary, type RoundResult, interleave, summarizeRounds } from '../measure.ts';
import { readCpuOf } from '../cpu.ts';
import { comparison, comparisonTable, contenderTable, cpuTable } from '../report.ts';
import { type BenchOptions, roundAt, type Suite, type SuiteReport } from '../suite.ts';
import { createTemporalDirectContender } from '../temporal-direct.ts';

export const facadeSuite: Suite = {
  name: 'facade',
  async run(options: BenchOptions): Promise<SuiteReport> {
    const taskQueue = 'baton-bench-facade';
    const deployment = await startBatonDeployment({ workers: 1, api: true, taskQueue, log: options.log });
    const http = createBatonHttpContender(deployment.stack.apiUrl as string, 'baton-http', () => describeProcess(deployment.stack.api));
    const direct = createTemporalDirectContender({
      address: deployment.temporal.address,
      namespace: deployment.temporal.namespace,
      taskQueue,
      databaseUrl: deployment.databaseUrl,
    });
    const contenders: Contender[] = [http, direct];
    // The client side (bench process) is probed too: for temporal-direct it does the Temporal calls.
    const cpuProbe = () => readCpuOf({
      worker: deployment.stack.workers[0]?.pid ?? -1,
      api: deployment.stack.api?.pid ?? -1,
      temporal: deployment.temporal.pid,
      bench: process.pid,
    });
    const levels = (options.quick ? [1, 4] : [1, 16]).map((concurrency) => roundAt(options, concurrency));
    const summaries: ContenderSummary[] = [];
    const rounds: Record<string, Record<string, RoundResult[]>> = {};
    try {
      for (const contender of contenders) await contender.setup();
      for (const level of levels) {
        options.log(`facade: concurrency ${level.concurrency}, rounds of ${level.durationMs / 1000} s`);
        const results = await interleave(contenders, { ...level, repeats: options.repeats, log: options.log, cpuProbe });
        rounds[`c${level.concurrency}`] = Object.fromEntries(results);
        for (const contender of contenders) summaries.push(summarizeRounds(results.get(contender.name) ?? []));
      }
    } finally {
      for (const contender of contenders) await contender.teardown().catch(() => {});
      await deployment.stop();
    }
    const comparisons = levels.map((level) => {
      const pick = (name: string) => summaries.find((s) => s.contender === name && s.concurrency === level.concurrency) as ContenderSummary;
      return comparison(pick(http.name), pick(direct.name));
    });
    const markdown = [
      contenderTable(summaries),
      '\nCPU per cycle (the bench process is the client; the API is idle in temporal-direct rounds):\n',
      cpuTable(summaries),
      '\nHTTP relative to the direct Temporal client (target: throughput ≥ 0.90×, each leg p50 ≤ 1.10×):\n',
      comparisonTable(comparisons),
    ].join('\n');
    return { suite: 'facade', title: 'Facade overhead: HTTP API vs the Temporal client, same server and worker', markdown, data: { levels, summaries, comparisons, rounds }, missing: [] };
  },
};
