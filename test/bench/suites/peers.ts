// Suite 4: the approval cycle on Baton (through its HTTP API, two worker processes) side by side
// with DBOS Transact and Mastra, each on its own embedded store on this machine.
import type { Contender } from '../contender.ts';
import { type ContenderSummary, type RoundResult, interleave, summarizeRounds } from '../measure.ts';
import { createDbosContender } from '../peers/dbos-cycle.ts';
import { createMastraContender } from '../peers/mastra-cycle.ts';
import { readCpuOf } from '../cpu.ts';
import { comparison, comparisonTable, contenderTable, cpuTable } from '../report.ts';
import { type BenchOptions, roundAt, type Suite, type SuiteReport } from '../suite.ts';
import { startBatonHttpContender } from '../baton-http.ts';

export const peersSuite: Suite = {
  name: 'peers',
  async run(options: BenchOptions): Promise<SuiteReport> {
    const missing: string[] = [];
    const contenders: Contender[] = [createDbosContender(), createMastraContender()];
    const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
    let baton = await startBatonHttpContender({ workers: 2, log: options.log }).catch((error: unknown) => {
      missing.push(`baton: the deployment did not start: ${describe(error)}`);
      return null;
    });
    // One untimed cycle first: if Baton cannot run the cycle yet, the peers are still measured.
    const preflight = await baton?.contender.cycle().then(() => null, (error: unknown) => describe(error));
    if (baton && preflight) {
      missing.push(`baton: a preflight cycle failed: ${preflight}`);
      await baton.stop();
      baton = null;
    }
    if (baton) contenders.unshift(baton.contender);

    const levels = (options.quick ? [1, 8] : [1, 64]).map((concurrency) => roundAt(options, concurrency));
    const rounds: Record<string, Record<string, RoundResult[]>> = {};
    const summaries: ContenderSummary[] = [];
    const prepared: Contender[] = [];
    try {
      for (const contender of contenders) {
        await contender.setup();
        prepared.push(contender);
      }
      for (const level of levels) {
        options.log(`peers: concurrency ${level.concurrency}, rounds of ${level.durationMs / 1000} s`);
        const cpuProbe = () => readCpuOf({
          bench: process.pid,
          ...(baton ? {
            'baton temporal': baton.deployment.temporal.pid,
            'baton api': baton.deployment.stack.api?.pid ?? -1,
            ...Object.fromEntries(baton.deployment.stack.workers.map((worker, i) => [`baton worker ${i + 1}`, worker.pid])),
          } : {}),
        });
        const results = await interleave(contenders, {
          cpuProbe,
          ...level,
          repeats: options.repeats,
          log: options.log,
        });
        rounds[`c${level.concurrency}`] = Object.fromEntries(results);
        for (const contender of contenders) summaries.push(summarizeRounds(results.get(contender.name) ?? []));
      }
    } finally {
      for (const contender of prepared.reverse()) await contender.teardown();
      await baton?.stop();
    }

    const comparisons = baton
      ? summaries
          .filter((s) => s.contender !== baton.contender.name)
          .map((peer) => {
            const subject = summaries.find((s) => s.contender === baton.contender.name && s.concurrency === peer.concurrency);
            return subject ? comparison(subject, peer) : null;
          })
          .filter((c) => c !== null)
      : [];
    const markdown = [
      contenderTable(summaries),
      '\nCPU per cycle by process (DBOS and Mastra run in the bench process; PostgreSQL\'s own CPU for DBOS is not counted):\n',
      cpuTable(summaries),
      comparisons.length > 0 ? `\nBaton relative to each peer (throughput: higher is better; latency: lower is better):\n\n${comparisonTable(comparisons)}` : '',
      '\nDBOS and Mastra run in the bench process (both are libraries embedded in the application); ' +
        'Baton runs as its API process plus two worker processes against a Temporal dev server. ' +
        'DBOS waits on the live workflow handle (no polling); Mastra resumes a fresh Run loaded from its LibSQL file.',
    ].join('\n');
    return { suite: 'peers', title: 'Approval cycle: Baton vs DBOS Transact vs Mastra', markdown, data: { levels, summaries, comparisons, rounds }, missing };
  },
};
