// Suite: what the run read model costs the approval cycle. The engine as it was just before the
// read model (commit BEFORE_READ_MODEL_COMMIT: lists read Temporal visibility, search attributes
// upserted at every step change) against this tree's engine (a local activity writes the `runs` row
// at start and at each settle, the API records an answer, search attributes only at settles).
//
// The "before" engine is that commit's own code, unpacked with `git archive` (harness/source-tree.ts)
// and run as its own `baton worker` / `baton api` processes on the same dependencies, the same Node
// and the same dev server as the "after" one, each deployment on its own task queue and its own store
// database; the two take turns round by round. Switching the write off in today's code would not be
// "before": it would keep today's fewer upserts and so credit the read model with savings it never paid for.
import pg from 'pg';
import { AGENT_RUN_WORKFLOW } from '../../../src/workflows/messages.ts';
import { createBatonHttpContender, describeProcess } from '../baton-http.ts';
import type { Contender } from '../contender.ts';
import { readCpuOf } from '../cpu.ts';
import { type HistoryAnatomy, historyAnatomy } from '../history-anatomy.ts';
import { type BatonStack, startBatonStack } from '../harness/baton-stack.ts';
import { benchPostgresServer, createPostgresCpuMeter, recreateDatabase } from '../harness/postgres.ts';
import { checkoutCommit, describeWorkTree } from '../harness/source-tree.ts';
import { startBenchTemporal } from '../harness/temporal-server.ts';
import { type ContenderSummary, type RoundResult, interleave, summarizeRounds } from '../measure.ts';
import { comparison, comparisonTable, contenderTable, cpuTable, table } from '../report.ts';
import { type BenchOptions, roundAt, type Suite, type SuiteReport } from '../suite.ts';

/** The last commit before the read model: resume already skips its describe, as today. */
export const BEFORE_READ_MODEL_COMMIT = 'e8e87be';

const BEFORE_DATABASE = 'baton_bench_store_before';
const AFTER_DATABASE = 'baton_bench_store';

interface Deployment {
  contender: Contender;
  stack: BatonStack;
  database: string;
  databaseUrl: string;
  meter: Awaited<ReturnType<typeof createPostgresCpuMeter>> | null;
}

/** Completed runs whose histories are read for the anatomy table. */
const ANATOMY_RUNS = 20;

export const readModelSuite: Suite = {
  name: 'readmodel',
  async run(options: BenchOptions): Promise<SuiteReport> {
    const beforeRev = process.env.BENCH_BEFORE_COMMIT ?? BEFORE_READ_MODEL_COMMIT;
    const tree = await checkoutCommit(beforeRev, options.log);
    const afterName = `after-${await describeWorkTree()}`;
    const beforeName = `before-${tree.commit.slice(0, 7)}`;
    const missing: string[] = [];
    // /proc of the server's backends is only this machine's when the server is.
    const localPostgres = /^postgres(ql)?:\/\/([^@/]*@)?(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(benchPostgresServer);
    if (!localPostgres) missing.push(`PostgreSQL CPU: ${benchPostgresServer} is not on this machine, so its backends cannot be read from /proc`);

    const temporal = await startBenchTemporal(options.log);
    const deployments: Deployment[] = [];
    const summaries: ContenderSummary[] = [];
    const rounds: Record<string, Record<string, RoundResult[]>> = {};
    const levels = (options.quick ? [1, 4] : [1, 16]).map((concurrency) => roundAt(options, concurrency));
    let anatomy: HistoryAnatomy[];
    let storeCheck: { beforeHasRunsTable: boolean; afterRows: Record<string, number> };
    try {
      for (const [name, database, cliPath] of [[beforeName, BEFORE_DATABASE, tree.cliPath], [afterName, AFTER_DATABASE, undefined]] as const) {
        const databaseUrl = await recreateDatabase(database);
        const stack = await startBatonStack({ temporal, databaseUrl, taskQueue: `baton-bench-${name.split('-')[0]}`, workers: 1, api: true, log: options.log, ...(cliPath ? { cliPath } : {}) });
        const contender = createBatonHttpContender(stack.apiUrl as string, name, () => describeProcess(stack.api));
        deployments.push({ contender, stack, database, databaseUrl, meter: localPostgres ? await createPostgresCpuMeter(database) : null });
      }
      const byName = new Map(deployments.map((deployment) => [deployment.contender.name, deployment]));
      // Each contender's own worker, API and store backends, plus the dev server they share.
      const cpuProbe = async (contender: Contender) => {
        const deployment = byName.get(contender.name) as Deployment;
        const cpu = await readCpuOf({ worker: deployment.stack.workers[0]?.pid ?? -1, api: deployment.stack.api?.pid ?? -1, temporal: temporal.pid });
        if (deployment.meter) cpu.postgres = await deployment.meter.read();
        // The sum too: medians of parts need not add up to the median of the whole.
        cpu['all counted'] = Object.values(cpu).reduce((sum, value) => sum + value, 0);
        return cpu;
      };
      const contenders = deployments.map((deployment) => deployment.contender);
      for (const level of levels) {
        options.log(`readmodel: concurrency ${level.concurrency}, rounds of ${level.durationMs / 1000} s`);
        const results = await interleave(contenders, { ...level, repeats: options.repeats, log: options.log, cpuProbe });
        rounds[`c${level.concurrency}`] = Object.fromEntries(results);
        for (const contender of contenders) summaries.push(summarizeRounds(results.get(contender.name) ?? []));
      }
      anatomy = await Promise.all(deployments.map((deployment) => historyAnatomy({ temporal, contender: deployment.contender.name, workflowType: AGENT_RUN_WORKFLOW, taskQueue: deployment.stack.taskQueue, runs: ANATOMY_RUNS })));
      storeCheck = await checkStores(deployments);
    } finally {
      for (const deployment of deployments) {
        await deployment.meter?.close().catch(() => {});
        await deployment.stack.stop();
      }
      await temporal.stop();
    }

    const comparisons = levels.map((level) => {
      const pick = (name: string) => summaries.find((s) => s.contender === name && s.concurrency === level.concurrency) as ContenderSummary;
      return comparison(pick(afterName), pick(beforeName));
    });
    const rowsText = Object.entries(storeCheck.afterRows).map(([status, count]) => `${count} ${status}`).join(', ') || 'none';
    const markdown = [
      `"Before" is commit ${tree.commit.slice(0, 7)} (${tree.subject.length > 90 ? `${tree.subject.slice(0, 87)}…` : tree.subject}), unpacked with \`git archive\` into ${tree.dir} ` +
        `and run as its own \`baton worker\` and \`baton api\`; "after" is this tree (${afterName.slice('after-'.length)}). One dev server, one worker and one API each, ` +
        'separate task queues and store databases on the same PostgreSQL; the two take turns round by round.',
      '',
      contenderTable(summaries),
      '\nCPU per cycle by process (each contender\'s own worker, API and PostgreSQL backends; the dev server they share):\n',
      cpuTable(summaries),
      '\nAfter relative to before (higher throughput and lower latency are better):\n',
      comparisonTable(comparisons),
      `\nPer run, mean over each deployment's last ${anatomy[0]?.runs ?? 0} completed runs' histories (the SDK upserts TemporalChangeVersion with each patched() marker):\n`,
      table(['contender', 'events', 'workflow tasks', 'Baton search-attribute upserts', 'patch upserts', 'local activities', 'activities'], anatomy.map((a) => [
        a.contender,
        ...[a.events, a.workflowTasks, a.batonUpserts, a.patchUpserts, a.localActivities, a.activities].map((value) => value.toFixed(1)),
      ])),
      '',
      `Store check: the before database has ${storeCheck.beforeHasRunsTable ? 'a runs table (UNEXPECTED: that engine predates it)' : 'no runs table (that engine predates the read model)'}; ` +
        `the after database's runs table holds ${rowsText} (every cycle, warm-up included, recorded).`,
    ].join('\n');
    return {
      suite: 'readmodel',
      title: `Read model: the approval cycle before (${tree.commit.slice(0, 7)}) and after`,
      markdown,
      data: { before: { commit: tree.commit, subject: tree.subject, dir: tree.dir }, after: afterName, levels, summaries, comparisons, anatomy, storeCheck, rounds },
      missing,
    };
  },
};

/** The before engine wrote no read model; the after one recorded every run, each as it ended. */
async function checkStores(deployments: readonly Deployment[]) {
  const [before, after] = deployments as [Deployment, Deployment];
  const query = async <T extends pg.QueryResultRow>(databaseUrl: string, text: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query<T>(text)).rows;
    } finally {
      await client.end();
    }
  };
  const [regclass] = await query<{ runs: string | null }>(before.databaseUrl, "select to_regclass('runs')::text as runs");
  const rows = await query<{ status: string; count: string }>(after.databaseUrl, 'select status, count(*) as count from runs group by status order by status');
  return { beforeHasRunsTable: regclass?.runs != null, afterRows: Object.fromEntries(rows.map((row) => [row.status, Number(row.count)])) };
}
