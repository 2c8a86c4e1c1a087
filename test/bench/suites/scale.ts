// Suite 3: many paused runs. Starts N runs (Temporal client) that pause for approval and stay paused, sampling the
// worker's and the API's RSS as they pile up (counted paused in the run read model, which the
// workflow writes before it waits); then times the first page of GET /v1/workflow-runs, of the Agent
// Manager run history and of the operators' inbox, and checks that the API's lists count exactly N.
import { Client, Connection } from '@temporalio/client';
import { openStore } from '../../../src/store/open-store.ts';
import { newRunId } from '../../../src/temporal/run-ids.ts';
import { AGENT_RUN_WORKFLOW } from '../../../src/workflows/messages.ts';
import { startBatonDeployment } from '../harness/baton-stack.ts';
import { getJson } from '../http-json.ts';
import { megabytes, readRssBytes, sampleRss } from '../rss.ts';
import { ms, table } from '../report.ts';
import { measureResumeLatency, type ResumeLatency } from '../resume-latency.ts';
import { summarize, type Summary } from '../stats.ts';
import type { BenchOptions, Suite, SuiteReport } from '../suite.ts';
import { loadAgentDefinition, runStartOptions } from '../temporal-direct.ts';

const START_CONCURRENCY = 64;
// Bounded, with room for a 2-core machine that other work shares: each run writes the store twice before it pauses.
const PAUSE_ALL_TIMEOUT_MS = 1_800_000;
/** The operators' inbox: an HTML page of the project's paused runs, oldest first. */
export const INBOX_PATH = '/inbox';
const PROJECT = 'default';
const AGENT = 'lead-router';
/** The worker's default sticky cache (BATON_WORKER_MAX_CACHED_WORKFLOWS unset); the suite's runs far outnumber it. */
const WORKER_CACHE = 128;

interface RssCheckpoint { pausedRuns: number | string; workerBytes: number | null; apiBytes: number | null }

/** The inbox's first page: timed, or why not (a build without the route says so, any other failure too). */
type InboxRead =
  | { measured: true; timing: Summary; showsOldest: boolean }
  | { measured: false; reason: string };

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
      const checkpoint = async (pausedRuns: number | string) => {
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
      // path (facade and throughput measure that). A run counts once the read model has it paused:
      // the workflow records the pause before it waits, as it does before answering a client.
      options.log(`scale: starting ${target} runs that pause for approval (${START_CONCURRENCY} starts in flight), through the Temporal client`);
      const definition = await loadAgentDefinition(deployment.databaseUrl, PROJECT, AGENT);
      const client = new Client({ connection: await Connection.connect({ address: deployment.temporal.address }), namespace: deployment.temporal.namespace });
      const store = await openStore({ databaseUrl: deployment.databaseUrl, maxConnections: 1 });
      const pausedFilter = { status: 'paused' as const, agent: AGENT };
      const began = performance.now();
      let startSeconds: number;
      let oldestPaused: string | undefined;
      // In start order: the first ones left the worker's cache long ago, the last ones are in it.
      const started: string[] = [];
      try {
        let next = 0;
        const starter = async () => {
          while (next < target) {
            next += 1;
            const runId = newRunId();
            started.push(runId);
            await client.workflow.start(AGENT_RUN_WORKFLOW, runStartOptions({ runId, project: PROJECT, agent: AGENT, definition, taskQueue, leadId: `lead-${next}` }));
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
          const paused = await store.runs.count(PROJECT, pausedFilter);
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
        const notPaused = (await store.runs.count(PROJECT, {})) - target;
        if (notPaused !== 0) throw new Error(`the read model has ${target + notPaused} runs for ${target} started, not all paused`);
        // What the inbox should show first.
        oldestPaused = (await store.runs.list(PROJECT, pausedFilter, { limit: 1, order: 'oldest' })).runs[0]?.runId;
      } finally {
        await store.close();
      }
      const workerPeak = (await workerSampler?.stop())?.peakBytes ?? null;
      const apiPeak = (await apiSampler?.stop())?.peakBytes ?? null;

      // The read model is written before a settle is answered: the API's lists see every run at once.
      const definitionId = await leadRouterDefinitionId(apiUrl);
      const historyUrl = `${apiUrl}/api/v1/workflows/${encodeURIComponent(definitionId)}/runs?page=0&size=20`;
      const samples = options.quick ? 10 : 30;
      const v1FirstPage = await timeRequests(`${apiUrl}/v1/workflow-runs?status=paused&limit=20`, samples);
      const historyFirstPage = await timeRequests(historyUrl, samples);
      const inbox = await readInbox(`${apiUrl}${INBOX_PATH}`, samples, oldestPaused);
      if (!inbox.measured) missing.push(`the inbox's first page (GET ${INBOX_PATH}): ${inbox.reason}`);
      const historyTotal = (await getJson<{ totalElements: number }>(historyUrl)).totalElements;
      const v1Count = await countV1Pages(`${apiUrl}/v1/workflow-runs?status=paused&agent=${AGENT}&limit=100`);
      await checkpoint('after the reads');

      // Last, as it completes runs: a resume of a run evicted from the worker's cache against one still in it.
      const resumeSamples = options.quick ? 3 : 15;
      const cachedCount = Math.min(resumeSamples, Math.floor(WORKER_CACHE / 4));
      let resume: ResumeLatency;
      try {
        resume = await measureResumeLatency(client, PROJECT, {
          evicted: target > WORKER_CACHE + 2 * resumeSamples ? started.slice(0, resumeSamples) : [],
          cached: started.slice(-cachedCount),
        });
      } finally {
        await client.connection.close();
      }
      await checkpoint('after the resumes');

      const under = (summary: Summary) => (summary.p50 < 100 && summary.p99 < 100 ? 'yes' : 'NO');
      const readRows = [
        ['GET /v1/workflow-runs?status=paused', `${ms(v1FirstPage.p50)} ms`, `${ms(v1FirstPage.p99)} ms`, under(v1FirstPage), String(v1FirstPage.n)],
        ['GET /api/v1/workflows/{id}/runs (run history)', `${ms(historyFirstPage.p50)} ms`, `${ms(historyFirstPage.p99)} ms`, under(historyFirstPage), String(historyFirstPage.n)],
        inbox.measured
          ? [`GET ${INBOX_PATH} (inbox, HTML${inbox.showsOldest ? '' : '; the oldest paused run NOT on it'})`, `${ms(inbox.timing.p50)} ms`, `${ms(inbox.timing.p99)} ms`, under(inbox.timing), String(inbox.timing.n)]
          : [`GET ${INBOX_PATH} (inbox)`, 'n/a', 'n/a', 'n/a', `${inbox.reason}`],
      ];
      const markdown = [
        table(['paused runs', 'worker RSS', 'API RSS'], [
          ...checkpoints.map((c) => [String(c.pausedRuns), megabytes(c.workerBytes), megabytes(c.apiBytes)]),
          ['peak while starting', megabytes(workerPeak), megabytes(apiPeak)],
        ]),
        '',
        table(['read (first page, 20 items)', 'p50', 'p99', 'under 100 ms', 'samples'], readRows),
        '',
        table(['resume → completed (Temporal client, as RunService)', 'p50', 'p99', 'samples'], [
          resumeRow(`run evicted from the worker's cache (among the first started)`, resume.evicted),
          resumeRow(`run in the worker's cache (among the last started; cache ${WORKER_CACHE})`, resume.cached),
        ]),
        '',
        table(['count (through the API)', 'expected', 'got', 'exact'], [
          ['run history totalElements', String(target), String(historyTotal), historyTotal === target ? 'yes' : 'NO'],
          [`v1 list, all pages (paused, ${AGENT})`, String(target), String(v1Count), v1Count === target ? 'yes' : 'NO'],
        ]),
        '',
        `Started ${target} runs through the Temporal client (${START_CONCURRENCY} in flight) and all were paused in the read model after ${startSeconds.toFixed(1)} s (${(target / startSeconds).toFixed(0)} runs/s). ` +
          'Targets: worker RSS flat and under 300 MB, first pages under 100 ms (p50 and p99), counts exact.',
      ].join('\n');
      return {
        suite: 'scale',
        title: `Scale: ${target} paused runs`,
        markdown,
        data: { target, startSeconds, checkpoints, workerPeak, apiPeak, v1FirstPage, historyFirstPage, inbox, historyTotal, v1Count, resume },
        missing,
      };
    } finally {
      await deployment.stop();
    }
  },
};

function resumeRow(label: string, summary: Summary | null): string[] {
  return summary ? [label, `${ms(summary.p50)} ms`, `${ms(summary.p99)} ms`, String(summary.n)] : [label, 'n/a', 'n/a', '0'];
}

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

/** p50/p99 of `samples` sequential reads, each timed until its body is read; `read` throws on a bad answer. */
async function timeRequests(url: string, samples: number, read: (url: string) => Promise<unknown> = getJson): Promise<Summary> {
  await read(url); // one untimed request: connection set-up is not the list's latency
  const timings: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await read(url);
    timings.push(performance.now() - t0);
  }
  return summarize(timings);
}

/**
 * Times the inbox's first page as a browser gets it: GET, 200, an HTML body (no redirect followed:
 * a sign-in page is not the inbox). A build without the route (404) is reported as such, not failed.
 */
export async function readInbox(url: string, samples: number, oldestPaused: string | undefined): Promise<InboxRead> {
  let first: Response;
  try {
    first = await fetch(url, { redirect: 'manual' });
  } catch (error) {
    return { measured: false, reason: `GET failed: ${(error as Error).message}` };
  }
  const firstBody = await first.text();
  if (first.status === 404) return { measured: false, reason: `n/a (no ${INBOX_PATH} route in this build)` };
  const html = (response: Response) => (response.headers.get('content-type') ?? '').startsWith('text/html');
  if (first.status !== 200 || !html(first)) return { measured: false, reason: `answered ${first.status} ${first.headers.get('content-type') ?? ''}, not 200 HTML` };
  const getHtml = async (target: string) => {
    const response = await fetch(target, { redirect: 'manual' });
    const text = await response.text();
    if (response.status !== 200 || !html(response)) throw new Error(`GET ${target} answered ${response.status}`);
    return text;
  };
  const timing = await timeRequests(url, samples, getHtml);
  return { measured: true, timing, showsOldest: oldestPaused !== undefined && firstBody.includes(oldestPaused) };
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
