import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runStatusSchema } from '../domain/run.ts';
import type { V1ResumeBody, V1RunList } from '../domain/v1-api.ts';
import { BatonApiError } from '../sdk/api-error.ts';
import { createClient, type BatonClient } from '../sdk/client.ts';
import { formatOutcome, formatRun, formatRunEvent, formatRunList, oneLine, questionSummary } from './run-text.ts';

type ResumeInput = V1ResumeBody['input']['resume']['input'];

/** Where the operator commands send requests; read here because only these commands call the API. */
export const operatorEnvSchema = z.object({
  BATON_URL: z.url({ error: 'an http(s) URL such as http://127.0.0.1:3000' }).default('http://127.0.0.1:3000'),
  BATON_API_KEY: z.string().trim().optional().transform((value) => value || undefined),
});

export interface RunsCommandIo {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
  fetch?: typeof globalThis.fetch;
  /** Ends `runs watch` (default: Ctrl-C or SIGTERM). */
  signal?: AbortSignal;
}

const usage = `usage:
  baton runs list [--status running|paused|completed|failed|cancelled] [--agent NAME] [--limit N] [--cursor C] [--json]
  baton runs get <runId> [--json]
  baton runs resume <runId> --step STEP --input VALUE [--comment TEXT] [--json]   (VALUE: JSON, else taken as a string; TEXT: why, kept with the answer)
  baton runs fork <runId> --from STEP [--output VALUE] [--json]   (a new run from STEP of this one: STEP runs again
      on the input it got, or with --output VALUE (JSON, else a string) that is its output and the run goes on)
  baton runs cancel <runId> [--json]
  baton runs watch [runId] [--status STATUS] [--agent NAME] [--json]   (one line per change: of one run until it
      finishes, or of the project's runs until Ctrl-C; --json prints each run as one line of JSON)
environment: BATON_URL (default http://127.0.0.1:3000), BATON_API_KEY`;

export class UsageError extends Error {}

/** `--input approve` is the string "approve"; `--input '{"a":1}'` is that object. */
export function parseResumeInput(text: string): ResumeInput {
  try {
    return JSON.parse(text) as ResumeInput;
  } catch {
    return text;
  }
}

/** How many paused runs' details are read at once to show what they ask. */
const detailConcurrency = 4;

/**
 * What each paused run of the page asks: list items carry no pending action, so each paused run
 * shown (at most one page) is read once.
 */
async function pausedQuestions(client: BatonClient, page: V1RunList): Promise<Map<string, string>> {
  const paused = page.data.filter((run) => run.status === 'paused').map((run) => run.run_id);
  const questions = new Map<string, string>();
  const next = async (): Promise<void> => {
    const runId = paused.shift();
    if (runId === undefined) return;
    try {
      const run = await client.workflowRuns.get(runId);
      questions.set(runId, run.output.pendingAction ? questionSummary(run.output.pendingAction) : `(now ${run.output.status})`);
    } catch (error) {
      // One unreadable run must not hide the list.
      questions.set(runId, `(cannot read: ${oneLine(error instanceof BatonApiError ? error.code : (error as Error).message, 40)})`);
    }
    return next();
  };
  await Promise.all(Array.from({ length: Math.min(detailConcurrency, paused.length) }, next));
  return questions;
}

/** Aborted by the first Ctrl-C or SIGTERM, so a watch ends like a finished command (exit 0). */
function untilInterrupted(): { signal: AbortSignal; dispose: () => void } {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { signal: abort.signal, dispose: () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); } };
}

function parseStatus(value: string | undefined) {
  if (value === undefined) return undefined;
  const status = runStatusSchema.safeParse(value);
  if (!status.success) throw new UsageError(`--status must be one of ${runStatusSchema.options.join(', ')}`);
  return status.data;
}

function onlyRunId(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`baton runs ${command} needs exactly one run id`);
  return positionals[0]!;
}

/**
 * `baton runs list|get|resume|fork|cancel|watch`: operator commands over the v1 API (through the SDK).
 * Returns the exit code: 0 done, 1 the API answered an error, 2 bad usage.
 */
export async function runsCommand(args: string[], io: RunsCommandIo): Promise<number> {
  const [command, ...rest] = args;
  try {
    const env = operatorEnvSchema.safeParse(io.env);
    if (!env.success) throw new UsageError(`BATON_URL: ${env.error.issues[0]?.message ?? 'invalid'}`);
    const client = createClient({ baseUrl: env.data.BATON_URL, apiKey: env.data.BATON_API_KEY, fetch: io.fetch });
    switch (command) {
      case 'list': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { status: { type: 'string' }, agent: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' } },
          allowPositionals: true,
        });
        if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`);
        const status = parseStatus(values.status);
        const limit = values.limit === undefined ? undefined : Number(values.limit);
        if (limit !== undefined && !Number.isInteger(limit)) throw new UsageError('--limit must be a whole number');
        const page = await client.workflowRuns.list({ status, agent: values.agent, limit, cursor: values.cursor });
        io.out(values.json ? JSON.stringify(page, null, 2) : formatRunList(page, await pausedQuestions(client, page)));
        return 0;
      }
      case 'get': {
        const { values, positionals } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: true });
        const run = await client.workflowRuns.get(onlyRunId(positionals, 'get'));
        io.out(values.json ? JSON.stringify(run, null, 2) : formatRun(run));
        return 0;
      }
      case 'resume': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { step: { type: 'string' }, input: { type: 'string' }, comment: { type: 'string' }, json: { type: 'boolean' } },
          allowPositionals: true,
        });
        const runId = onlyRunId(positionals, 'resume');
        if (values.step === undefined || values.input === undefined) throw new UsageError('baton runs resume needs --step and --input');
        const input = parseResumeInput(values.input);
        const comment = values.comment === undefined ? {} : { comment: values.comment };
        const run = await client.workflowRuns.resume(runId, { input: { resume: { step: values.step, input, ...comment } } });
        io.out(values.json ? JSON.stringify(run, null, 2) : formatOutcome(`Resumed ${runId} at step ${values.step} with ${oneLine(JSON.stringify(input), 80)}`, run));
        return 0;
      }
      case 'fork': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { from: { type: 'string' }, output: { type: 'string' }, json: { type: 'boolean' } },
          allowPositionals: true,
        });
        const runId = onlyRunId(positionals, 'fork');
        if (values.from === undefined) throw new UsageError('baton runs fork needs --from STEP');
        const output = values.output === undefined ? {} : { output: parseResumeInput(values.output) };
        const run = await client.workflowRuns.fork(runId, { fromStep: values.from, ...output });
        const how = 'output' in output ? ` with output ${oneLine(JSON.stringify(output.output), 80)}` : '';
        io.out(values.json ? JSON.stringify(run, null, 2) : formatOutcome(`Forked ${runId} from step ${values.from}${how} as ${run.run_id}`, run));
        return 0;
      }
      case 'cancel': {
        const { values, positionals } = parseArgs({ args: rest, options: { json: { type: 'boolean' } }, allowPositionals: true });
        const runId = onlyRunId(positionals, 'cancel');
        const run = await client.workflowRuns.delete(runId);
        io.out(values.json ? JSON.stringify(run, null, 2) : formatOutcome(`Cancelled ${runId}`, run));
        return 0;
      }
      case 'watch': {
        const { values, positionals } = parseArgs({
          args: rest,
          options: { status: { type: 'string' }, agent: { type: 'string' }, json: { type: 'boolean' } },
          allowPositionals: true,
        });
        if (positionals.length > 1) throw new UsageError('baton runs watch takes at most one run id');
        const runId = positionals[0];
        const status = parseStatus(values.status);
        if (runId !== undefined && (status !== undefined || values.agent !== undefined)) throw new UsageError('--status and --agent choose among the project\'s runs; with a run id, leave them out');
        const interrupt = io.signal ? undefined : untilInterrupted();
        const signal = io.signal ?? interrupt!.signal;
        try {
          const runs = runId === undefined
            ? client.workflowRuns.watchRuns({ status, agent: values.agent, signal })
            : client.workflowRuns.watchRun(runId, { signal });
          for await (const run of runs) io.out(values.json ? JSON.stringify(run) : formatRunEvent(run, new Date()));
        } finally {
          interrupt?.dispose();
        }
        return 0;
      }
      default:
        throw new UsageError(command ? `unknown command: runs ${command}` : 'missing command');
    }
  } catch (error) {
    return commandFailure(error, io, usage);
  }
}

/** The exit code of an operator command that threw: 1 the API answered an error or is unreachable, 2 bad usage; anything else is rethrown. */
export function commandFailure(error: unknown, io: Pick<RunsCommandIo, 'env' | 'err'>, usage: string): number {
  if (error instanceof BatonApiError) {
    io.err(`error: ${error.code} (HTTP ${error.status}): ${error.message}`);
    if (error.details !== undefined) io.err(JSON.stringify(error.details, null, 2));
    return 1;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    io.err(`error: cannot reach ${String(io.env.BATON_URL ?? 'http://127.0.0.1:3000')}: ${String((error.cause as Error | undefined)?.message ?? error.message)}`);
    return 1;
  }
  // parseArgs throws TypeErrors with a code for unknown or malformed options.
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    io.err(`${error.message}\n${usage}`);
    return 2;
  }
  throw error;
}
