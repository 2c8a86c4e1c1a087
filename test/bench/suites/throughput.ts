// Suite 2: full approval cycles per second through the API at rising concurrency, with one and
// with two worker processes. Both deployments run side by side on one dev server (separate task
// queues, one API each), so their rounds interleave like any other contenders.
import { createBatonHttpContender, describeProcess } from '../baton-http.ts';
import type { Contender } from '../contender.ts';
import { BENCH_STORE_DATABASE, type BatonStack, startBatonStack } from '../harness/baton-stack.ts';
import { recreateDatabase } from '../harness/postgres.ts';
import { startBenchTemporal } from '../harness/temporal-server.ts';
import { type ContenderSummary, type RoundResult, interleave, summarizeRounds } from '../measure.ts';
import { readCpuOf } from '../cpu.ts';
import { comparison, comparisonTable, contenderTable, cpuTable } from '../report.ts';
import { type BenchOptions, roundAt, type Suite, type SuiteReport } from '../suite.ts';

export const throughputSuite: Suite = {
  name: 'throughput',
  async run(options: BenchOptions): Promise<SuiteReport> {
    const temporal = await startBenchTemporal(options.log);
    const stacks: BatonStack[] = [];
    const summaries: ContenderSummary[] = [];
    const rounds: Record<string, Record<string, RoundResult[]>> = {};
    const levels = (options.quick ? [1, 8] : [1, 16, 64]).map((concurrency) => roundAt(options, concurrency));
    try {
      const databaseUrl = await recreateDatabase(BENCH_STORE_DATABASE);
      for (const workers of [1, 2]) {
        stacks.push(await startBatonStack({ temporal, databaseUrl, taskQueue: `baton-bench-${workers}w`, workers, api: true, log: options.log }));
      }
      const contenders: Contender[] = stacks.map((stack) =>
        createBatonHttpContender(stack.apiUrl as string, `baton-${stack.workers.length}-worker${stack.workers.length > 1 ? 's' : ''}`, () => describeProcess(stack.api)));
      const pids: Record<string, number> = { temporal: temporal.pid };
      for (const stack of stacks) {
        if (stack.api) pids[`${stack.taskQueue} api`] = stack.api.pid;
        stack.workers.forEach((worker, i) => { pids[`${stack.taskQueue} worker ${i + 1}`] = worker.pid; });
      }
      const cpuProbe = () => readCpuOf(pids);
      for (const level of levels) {
        options.log(`throughput: concurrency ${level.concurrency}, rounds of ${level.durationMs / 1000} s`);
        const results = await interleave(contenders, { ...level, repeats: options.repeats, log: options.log, cpuProbe });
        rounds[`c${level.concurrency}`] = Object.fromEntries(results);
        for (const contender of contenders) summaries.push(summarizeRounds(results.get(contender.name) ?? []));
      }
    } finally {
      for (const stack of stacks) await stack.stop();
      await temporal.stop();
    }
    const comparisons = levels.flatMap((level) => {
      const [one, two] = ['baton-1-worker', 'baton-2-workers'].map((name) => summaries.find((s) => s.contender === name && s.concurrency === level.concurrency));
      return one && two ? [comparison(two, one)] : [];
    });
    const markdown = [
      contenderTable(summaries),
      '\nCPU per cycle by process (each contender drives only its own deployment):\n',
      cpuTable(summaries),
      '\nTwo worker processes relative to one:\n',
      comparisonTable(comparisons),
      '\nThe dev server, both APIs and all three worker processes share the machine\'s cores; the deployment not being measured only holds long polls.',
    ].join('\n');
    return { suite: 'throughput', title: `Throughput: cycles/s at concurrency ${levels.map((level) => level.concurrency).join(', ')} with one and two worker processes`, markdown, data: { levels, summaries, comparisons, rounds }, missing: [] };
  },
};
