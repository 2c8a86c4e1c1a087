// Suite 3: many paused runs. Starts N runs (Temporal client) that pause for approval and stay paused, sampling the
// worker's and the API's RSS as they pile up; then times the first page of GET /v1/workflow-runs
// and of the Agent Manager run history, and checks that the lists count exactly N.
import { Client, Connection } from '@temporalio/client';
import { newRunId } from '../../../src/temporal/run-ids.ts';
import { AGENT_RUN_WORKFLOW } from '../../../src/workflows/messages.ts';
import { statusKey } from '../../../src/workflows/search-attribute-keys.ts';
import { startBatonDeployment } from '../harness/baton-stack.ts';
import { getJson } from '../http-json.ts';
import { megabytes, readRssBytes, sampleRss } from '../rss.ts';
import { ms, table } from '../report.ts';
import { summarize, type Summary } from '../stats.ts';
import type { BenchOptions, Suite, SuiteReport } from '../suite.ts';
import { loadAgentDefinition, runStartOptions } from '../temporal-direct.ts';

const START_CONCURRENCY = 64;
const PAUSE_ALL_TIMEOUT_MS = 600_000;

interface RssCheckpoint { pausedRuns: number; workerBytes: number | null; apiBytes: number | null }

export const scaleSuite: Suite = {
  name: 'scale',
  async run(options: BenchOptions): Promise<SuiteReport> {
    const target = options.quick ? 200 : 10_000;
    const taskQueue = 'baton-bench-scale';
    const deployment = await startBatonDeployment({ workers: 1, api: true, taskQueue, log: options.log });
    const apiUrl = deployment.stack.apiUrl as string;
    const worker = deployment.stack.workers[0];
    const api = deployment.stack.api;
    const missing: string[] = [];
    try {
      const checkpoints: RssCheckpoint[] = [];
      const checkpoint = async (pausedRuns: number) => {
        checkpoints.push({
          pausedRuns,
          workerBytes: worker ? await readRssBytes(worker.pid) : null,
          apiBytes: api ? await readRssBytes(api.pid) : null,
        });
      };
      await checkpoint(0);
      // Checkpoints show the trend; the samplers catch a peak between them.
      const workerSampler = worker ? sampleRss(worker.pid) : null;
      const apiSampler = api ? sampleRss(api.pid) : null;

      // Starting through the Temporal client, many in flight, as RunService starts runs (same
      // options and search attributes): the suite measures holding N paused runs, not the start
      // path (facade and throughput measure that). A run counts once visibility lists it paused.
      options.log(`scale: starting ${target} runs that pause for approval (${START_CONCURRENCY} starts in flight), through the Temporal client`);
      const definition = await loadAgentDefinition(deployment.databaseUrl, 'default', 'lead-router');
      const client = new Client({ connection: await Connection.connect({ address: deployment.temporal.address }), namespace: deployment.temporal.namespace });
      const pausedQuery = `WorkflowType = '${AGENT_RUN_WORKFLOW}' AND TaskQueue = '${taskQueue}' AND ${statusKey.name} = 'paused'`;
      const began = performance.now();
      let startSeconds: number;
      try {
        let next = 0;
        const starter = async () => {
          while (next < target) {
            next += 1;
            await client.workflow.start(AGENT_RUN_WORKFLOW, runStartOptions({ runId: newRunId(), project: 'default', agent: 'lead-router', definition, taskQueue, leadId: `lead-${next}` }));
          }
        };
        await Promise.all(Array.from({ length: START_CONCURRENCY }, starter));
        options.log(`  ${target} started in ${((performance.now() - began) / 1000).toFixed(1)} s; waiting until all are paused`);
        // Checkpoints every tenth of the target as the worker pauses them; bounded, and a run that
        // fails or completes instead of pausing can never make the count reach the target.
        const every = Math.max(1, Math.floor(target / 10));
        let nextCheckpoint = every;
        const deadline = performance.now() + PAUSE_ALL_TIMEOUT_MS;
        for (;;) {
          const paused = (await client.workflow.count(pausedQuery)).count;
          while (paused >= nextCheckpoint && nextCheckpoint <= target) {
            await checkpoint(nextCheckpoint);
            options.log(`  ${nextCheckpoint} paused; worker RSS ${megabytes(checkpoints.at(-1)?.workerBytes ?? null)}, API RSS ${megabytes(checkpoints.at(-1)?.apiBytes ?? null)}`);
            nextCheckpoint += every;
          }
          if (paused >= target) break;
          if (performance.now() > deadline) throw new Error(`only ${paused} of ${target} runs paused within ${PAUSE_ALL_TIMEOUT_MS / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
        startSeconds = (performance.now() - began) / 1000;
        const notPaused = (await client.workflow.count(`WorkflowType = '${AGENT_RUN_WORKFLOW}' AND TaskQueue = '${taskQueue}' AND ${statusKey.name} != 'paused'`)).count;
        if (notPaused > 0) throw new Error(`${notPaused} runs are not paused (failed, completed or still running)`);
      } finally {
        await client.connection.close();
      }
      const workerPeak = (await workerSampler?.stop())?.peakBytes ?? null;
      const apiPeak = (await apiSampler?.stop())?.peakBytes ?? null;

      // Visibility is eventually consistent: wait (bounded) until the lists can see every run.
      const definitionId = await leadRouterDefinitionId(apiUrl);
      const historyUrl = `${apiUrl}/api/v1/workflows/${encodeURIComponent(definitionId)}/runs?page=0&size=20`;
      const consistentAfterMs = await waitFor(async () => (await getJson<{ totalElements: number }>(historyUrl)).totalElements >= target, 60_000);

      const samples = options.quick ? 10 : 30;
      const v1FirstPage = await timeRequests(`${apiUrl}/v1/workflow-runs?status=paused&limit=20`, samples);
      const historyFirstPage = await timeRequests(historyUrl, samples);
      const historyTotal = (await getJson<{ totalElements: number }>(historyUrl)).totalElements;
      const v1Count = await countV1Pages(`${apiUrl}/v1/workflow-runs?status=paused&agent=lead-router&limit=100`);

      const markdown = [
        table(['paused runs', 'worker RSS', 'API RSS'], [
          ...checkpoints.map((c) => [String(c.pausedRuns), megabytes(c.workerBytes), megabytes(c.apiBytes)]),
          ['peak while starting', megabytes(workerPeak), megabytes(apiPeak)],
        ]),
        '',
        table(['read (first page, 20 items)', 'p50', 'p99', 'samples'], [
          ['GET /v1/workflow-runs?status=paused', `${ms(v1FirstPage.p50)} ms`, `${ms(v1FirstPage.p99)} ms`, String(v1FirstPage.n)],
          ['GET /api/v1/workflows/{id}/runs (run history)', `${ms(historyFirstPage.p50)} ms`, `${ms(historyFirstPage.p99)} ms`, String(historyFirstPage.n)],
        ]),
        '',
        table(['count', 'expected', 'got', 'exact'], [
          ['run history totalElements', String(target), String(historyTotal), historyTotal === target ? 'yes' : 'NO'],
          ['v1 list, all pages (paused, lead-router)', String(target), String(v1Count), v1Count === target ? 'yes' : 'NO'],
        ]),
        '',
        `Started ${target} runs through the Temporal client (${START_CONCURRENCY} in flight) and all were paused after ${startSeconds.toFixed(1)} s (${(target / startSeconds).toFixed(0)} runs/s); ` +
          `visibility counted them all ${consistentAfterMs === null ? 'NOT within 60 s' : `${(consistentAfterMs / 1000).toFixed(1)} s after the last start`}. ` +
          'Targets: worker RSS flat and under 300 MB, first pages under 100 ms, counts exact.',
      ].join('\n');
      return {
        suite: 'scale',
        title: `Scale: ${target} paused runs`,
        markdown,
        data: { target, startSeconds, checkpoints, workerPeak, apiPeak, consistentAfterMs, v1FirstPage, historyFirstPage, historyTotal, v1Count },
        missing,
      };
    } finally {
      await deployment.stop();
    }
  },
};

/** The id (`wf-…`) of the definition published as the lead-router agent. */
async function leadRouterDefinitionId(apiUrl: string): Promise<string> {
  for (let page = 0; page < 50; page++) {
    const found = await getJson<{ content: Array<{ id: string; agent?: string | null }>; totalPages: number }>(`${apiUrl}/api/v1/workflows?page=${page}&size=100`);
    const match = found.content.find((definition) => definition.agent === 'lead-router');
    if (match) return match.id;
    if (page + 1 >= found.totalPages) break;
  }
  throw new Error('no definition with agent lead-router in GET /api/v1/workflows');
}

async function timeRequests(url: string, samples: number): Promise<Summary> {
  await getJson(url); // one untimed request: connection set-up is not the list's latency
  const timings: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await getJson(url);
    timings.push(performance.now() - t0);
  }
  return summarize(timings);
}

async function countV1Pages(firstUrl: string): Promise<number> {
  let count = 0;
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const url: string = cursor ? `${firstUrl}&cursor=${encodeURIComponent(cursor)}` : firstUrl;
    const list = await getJson<{ data: unknown[]; next_cursor: string | null }>(url);
    count += list.data.length;
    cursor = list.next_cursor;
    if (!cursor) return count;
  }
  throw new Error('the v1 list had more than 1000 pages');
}

/** Milliseconds until `check` holds, or null if it never did within the bound. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const began = performance.now();
  while (performance.now() - began < timeoutMs) {
    if (await check()) return performance.now() - began;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return null;
}
