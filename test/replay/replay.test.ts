import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/domain/run.ts';
import { engineRevisions } from '../../src/workflows/engine-revision.ts';
import { runReadModelPatch } from '../../src/workflows/run-recorder.ts';
import { functionAgentLocalPatch, sessionAppendLocalPatch } from '../../src/workflows/step-runner.ts';

// Histories recorded by test/replay/record.ts (read it before re-recording: only for a change behind an engine revision).
const historiesDir = new URL('./histories/', import.meta.url);
const ignore = () => {};
const quiet = { trace: ignore, debug: ignore, info: ignore, log: ignore, warn: ignore, error: console.error };

/** The parts of Temporal's proto-JSON history (as `temporal workflow show --output json` writes it) these tests read. */
interface RecordedHistory {
  events: Array<{
    eventType: string;
    activityTaskScheduledEventAttributes?: { activityType?: { name: string } };
    activityTaskStartedEventAttributes?: { attempt: number };
    activityTaskCompletedEventAttributes?: { result?: { payloads: Array<{ data: string }> } };
    workflowExecutionFailedEventAttributes?: { failure?: { applicationFailureInfo?: { type?: string } } };
    markerRecordedEventAttributes?: { markerName?: string; details?: { data?: { payloads?: Array<{ data: string }> } } };
    upsertWorkflowSearchAttributesEventAttributes?: { searchAttributes?: { indexedFields?: Record<string, unknown> } };
    workflowExecutionUpdateAcceptedEventAttributes?: { acceptedRequest?: { input?: { name?: string } } };
    workflowExecutionUpdateCompletedEventAttributes?: { outcome?: { success?: { payloads?: Array<{ data: string }> } } };
    workflowExecutionStartedEventAttributes?: { input: { payloads: Array<{ data: string }> } };
  }>;
}

/** The run's start input (the workflow's one argument), from its first event. */
function startInputOf(events: RecordedHistory['events']): { engineRevision?: string } & Record<string, unknown> {
  return JSON.parse(Buffer.from(events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!.data, 'base64').toString()) as { engineRevision?: string };
}

/** The activity types of the local activities in `events`, in order (a marker names its type in its base64 JSON details). */
function localActivityTypes(events: RecordedHistory['events']): string[] {
  return events.flatMap((event) => {
    const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
    return data === undefined ? [] : [(JSON.parse(Buffer.from(data, 'base64').toString()) as { activity_type?: string }).activity_type ?? []].flat();
  });
}

async function recordedHistories(): Promise<{ workflowId: string; history: unknown }[]> {
  const files = (await readdir(historiesDir)).filter((file) => file.endsWith('.json')).sort();
  return await Promise.all(files.map(async (file) => ({ workflowId: file.replace(/\.json$/, ''), history: JSON.parse(await readFile(new URL(file, historiesDir), 'utf8')) as unknown })));
}

async function replay(workflowsPath: string): Promise<ReplayResult[]> {
  const workflowBundle = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  const results: ReplayResult[] = [];
  // The read-model sink as the worker registers it; a replay never calls it (callDuringReplay false).
  const sinks = { readModel: { record: { fn: () => {}, callDuringReplay: false } } };
  for await (const result of Worker.runReplayHistories({ workflowBundle, sinks }, await recordedHistories())) results.push(result);
  return results;
}

describe('recorded histories', () => {
  it('holds the representative runs: completed, resumed (before and after session-append-local-activity), branched, cancelled, pause-timed-out, reviewed, llm, http, retried, failed, branched to fail, function agents as local activities, resume-and-wait in one Update, human-step deadlines (reminders, onTimeout fail, answer and goto), a quorum approval (and one reminded, then decided by its deadline), forked runs, session entries carried by the next activity, settles written through the worker sink, a revision named by the starter', async () => {
    expect((await recordedHistories()).map((entry) => entry.workflowId)).toEqual([
      'approval-quorum-deadline', 'approval-quorum', 'branch-fail', 'branched', 'cancelled', 'completed', 'deadline-reminded', 'deadline-timeout-answer', 'deadline-timeout-fail', 'deadline-timeout-goto', 'engine-revision', 'failed-after-retries', 'function-agent-local', 'http-agent', 'llm-tool-approval',
      'pause-timeout', 'read-model-cancelled', 'read-model-listed-by-starter', 'read-model-resumed', 'read-model-review-and-input', 'read-model-sink-carried', 'read-model-sink', 'resume-and-settle', 'resumed-session-local', 'resumed', 'retried-step', 'review-and-input',
      'revision-named', 'run-fork-given', 'run-fork', 'session-carried-settle', 'session-carried',
    ]);
  });

  it('take the paths they are named for', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const activities = (name: string) => events[name]!.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    const runFailure = (name: string) => events[name]!.find((event) => event.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
    const attempts = (name: string) => events[name]!.flatMap((event) => event.activityTaskStartedEventAttributes?.attempt ?? []);

    // An llm loop: a model call asking for a tool, the tool approval (a resume Update), the tool, the answer.
    expect(activities('llm-tool-approval')).toEqual(['runAgentStep', 'callModel', 'callTool', 'callModel']);
    expect(events['llm-tool-approval']!.filter((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED').length).toBeGreaterThanOrEqual(2);
    // An http agent: its receiver's JSON answer is the step activity's result.
    const completed = events['http-agent']!.find((event) => event.activityTaskCompletedEventAttributes)?.activityTaskCompletedEventAttributes;
    expect(JSON.parse(Buffer.from(completed!.result!.payloads[0]!.data, 'base64').toString())).toEqual({ kind: 'output', output: { shouted: 'HELLO' } });
    // Retries: the server writes only the last attempt, with the failure before it.
    expect(attempts('retried-step')).toEqual([3]);
    expect(events['retried-step']!.some((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED')).toBe(true);
    expect(attempts('failed-after-retries')).toEqual([2]);
    expect(runFailure('failed-after-retries')?.applicationFailureInfo?.type).toBe('step_failed');
    expect(runFailure('branch-fail')?.applicationFailureInfo?.type).toBe('branch_failed');
  });

  it('take both branches of patch session-append-local-activity: an activity before it, a local activity after', async () => {
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const appendScheduled = (history: string) => history.includes('"activityType":{"name":"appendSessionEntry"}');
    expect([appendScheduled(histories.resumed!), histories.resumed!.includes(sessionAppendLocalPatch)]).toEqual([true, false]);
    const patchData = Buffer.from(JSON.stringify({ id: sessionAppendLocalPatch, deprecated: false })).toString('base64');
    expect([appendScheduled(histories['resumed-session-local']!), histories['resumed-session-local']!.includes(patchData)]).toEqual([false, true]);
  });

  it('take both branches of patch run-read-model: no read-model writes before it, one at start and at each settle after', async () => {
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const patchData = Buffer.from(JSON.stringify({ id: runReadModelPatch, deprecated: false })).toString('base64');
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    // A local activity's marker names its activity type in its details (base64 JSON).
    const recordRunMarkers = (name: string) => events[name]!.filter((event) => {
      const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data !== undefined && (JSON.parse(Buffer.from(data, 'base64').toString()) as { activity_type?: string }).activity_type === 'recordRun';
    }).length;
    for (const name of ['resumed', 'resumed-session-local', 'cancelled', 'review-and-input']) expect([name, histories[name]!.includes(patchData)]).toEqual([name, false]);
    for (const name of ['read-model-resumed', 'read-model-cancelled', 'read-model-review-and-input']) expect([name, histories[name]!.includes(patchData)]).toEqual([name, true]);
    expect(recordRunMarkers('resumed')).toBe(0);
    // Lead router: start, paused at the approval, completed.
    expect(recordRunMarkers('read-model-resumed')).toBe(3);
    // Start, paused, cancelled.
    expect(recordRunMarkers('read-model-cancelled')).toBe(3);
    // Listed by its starter: paused and completed only.
    expect(recordRunMarkers('read-model-listed-by-starter')).toBe(2);
  });

  it('take both branches of patch function-agent-local-activity: function agents as activities before it, as local activities after', async () => {
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const patchData = Buffer.from(JSON.stringify({ id: functionAgentLocalPatch, deprecated: false })).toString('base64');
    const scheduled = (name: string) => events[name]!.flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
    const localRuns = (name: string) => events[name]!.filter((event) => {
      const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data !== undefined && (JSON.parse(Buffer.from(data, 'base64').toString()) as { activity_type?: string }).activity_type === 'runAgentStep';
    }).length;
    // The same lead router cycle: classify and route as activity tasks, then as local activities.
    expect([scheduled('read-model-listed-by-starter'), localRuns('read-model-listed-by-starter'), histories['read-model-listed-by-starter']!.includes(patchData)]).toEqual([['runAgentStep', 'runAgentStep'], 0, false]);
    expect([scheduled('function-agent-local'), localRuns('function-agent-local'), histories['function-agent-local']!.includes(patchData)]).toEqual([[], 2, true]);
  });

  it('hold both ways of resume-and-wait: resume then settled, and one resumeAndSettle Update', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const updates = (name: string) => events[name]!.flatMap((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
    // The settled after resume came once the run had closed (RunService then read the run instead).
    expect(updates('function-agent-local')).toEqual(['settled', 'resume']);
    expect(updates('resume-and-settle')).toEqual(['settled', 'resumeAndSettle']);
  });

  it('take engine revision 1 in a new run: one patch marker and one TemporalChangeVersion upsert stand for every change it lists', async () => {
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const patchData = (id: string) => Buffer.from(JSON.stringify({ id, deprecated: false })).toString('base64');
    const patchMarkers = (name: string) => events[name]!.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch').length;
    const changeVersionUpserts = (name: string) => events[name]!.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion).length;
    const revision = engineRevisions.find((entry) => entry.id === 'engine-revision-1');
    expect(histories['engine-revision']!.includes(patchData(revision!.id))).toBe(true);
    for (const change of revision!.changes) expect([change, histories['engine-revision']!.includes(patchData(change))]).toEqual([change, false]);
    expect([patchMarkers('engine-revision'), changeVersionUpserts('engine-revision')]).toEqual([1, 1]);
    // The same cycle before the revision checked each change's own id.
    expect([patchMarkers('resume-and-settle'), changeVersionUpserts('resume-and-settle')]).toEqual([4, 4]);
    expect(events['engine-revision']!.length).toBeLessThan(events['resume-and-settle']!.length);
  });

  it('take the run-fork path in a forked run: engine revision 2, the copied step not run again, a given answer not asked', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const patchData = (id: string) => Buffer.from(JSON.stringify({ id, deprecated: false })).toString('base64');
    const localRuns = (name: string) => events[name]!.filter((event) => {
      const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data !== undefined && (JSON.parse(Buffer.from(data, 'base64').toString()) as { activity_type?: string }).activity_type === 'runAgentStep';
    }).length;
    const updates = (name: string) => events[name]!.flatMap((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name ?? []);
    for (const name of ['run-fork', 'run-fork-given']) expect([name, histories[name]!.includes(patchData('engine-revision-2'))]).toEqual([name, true]);
    // classify is copied from the parent: only route runs; the re-run approval is asked and answered.
    expect([localRuns('run-fork'), updates('run-fork')]).toEqual([1, ['settled', 'resumeAndSettle']]);
    // The approval's answer came with the fork: nothing is asked.
    expect([localRuns('run-fork-given'), updates('run-fork-given')]).toEqual([1, ['settled']]);
  });

  it('take the human-step-deadline paths: reminders recorded while waiting, and each onTimeout', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const recordRunMarkers = (name: string) => events[name]!.filter((event) => {
      const data = event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      return data !== undefined && (JSON.parse(Buffer.from(data, 'base64').toString()) as { activity_type?: string }).activity_type === 'recordRun';
    }).length;
    const timers = (name: string) => events[name]!.filter((event) => event.eventType === 'EVENT_TYPE_TIMER_STARTED').length;
    const result = (name: string) => {
      const completed = events[name]!.find((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED') as { workflowExecutionCompletedEventAttributes?: { result?: { payloads: Array<{ data: string }> } } } | undefined;
      return JSON.parse(Buffer.from(completed!.workflowExecutionCompletedEventAttributes!.result!.payloads[0]!.data, 'base64').toString()) as { steps: Array<{ name: string; status: string }>; answers: Array<{ by: { via: string }; input: unknown }> };
    };
    // Paused, two reminders (one timer each, and a third timer that the answer cut short), completed.
    expect([recordRunMarkers('deadline-reminded'), timers('deadline-reminded')]).toEqual([4, 3]);
    // Paused, one reminder, then the deadline fails the run.
    expect(events['deadline-timeout-fail']!.find((event) => event.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('pause_timeout');
    expect(recordRunMarkers('deadline-timeout-fail')).toBe(3);
    expect(result('deadline-timeout-answer').answers.map((answer) => [answer.by.via, answer.input])).toEqual([['system', 'approve']]);
    expect(result('deadline-timeout-goto').steps.map((step) => [step.name, step.status])).toEqual([['review', 'failed'], ['escalate', 'completed']]);
  });

  it('take patch approval-quorum (engine revision 2): a partial answer is recorded and keeps the run paused, the second approval resolves the step', async () => {
    const events = (await recordedHistories()).find((entry) => entry.workflowId === 'approval-quorum')!.history as RecordedHistory;
    const patchData = Buffer.from(JSON.stringify({ id: 'engine-revision-2', deprecated: false })).toString('base64');
    expect(JSON.stringify(events)).toContain(patchData);
    const decode = (data: string | undefined) => (data === undefined ? undefined : JSON.parse(Buffer.from(data, 'base64').toString()) as unknown);
    const recordRuns = events.events.filter((event) => (decode(event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data) as { activity_type?: string } | undefined)?.activity_type === 'recordRun');
    // Listed by its starter: paused, answered once (still paused), completed.
    expect(recordRuns).toHaveLength(3);
    const outcomes = events.events.flatMap((event) => {
      const payload = event.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads?.[0]?.data;
      return payload === undefined ? [] : [decode(payload) as RunSnapshot];
    });
    expect(outcomes.map((snapshot) => [snapshot.status, snapshot.pendingAction?.type === 'confirmation' ? snapshot.pendingAction.quorum?.remaining : null])).toEqual([
      ['paused', 2],
      ['paused', 1],
      ['completed', null],
    ]);
    expect(outcomes[2]!.steps.map((step) => [step.name, step.output])).toEqual([['sign-off', 'approve'], ['after', 'approve']]);
  });

  it('take both changes in one wait: a quorum\'s partial answer and a reminder recorded, then the deadline\'s default answer decides the step', async () => {
    const events = (await recordedHistories()).find((entry) => entry.workflowId === 'approval-quorum-deadline')!.history as RecordedHistory;
    const decode = (data: string | undefined) => (data === undefined ? undefined : JSON.parse(Buffer.from(data, 'base64').toString()) as unknown);
    const records = events.events.flatMap((event) => {
      const marker = decode(event.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data) as { activity_type?: string } | undefined;
      return marker?.activity_type === 'recordRun' ? [event] : [];
    });
    // Paused, the partial answer, the reminder, then completed.
    expect(records).toHaveLength(4);
    const completed = events.events.find((event) => event.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED') as { workflowExecutionCompletedEventAttributes?: { result?: { payloads: Array<{ data: string }> } } } | undefined;
    const result = decode(completed!.workflowExecutionCompletedEventAttributes!.result!.payloads[0]!.data) as RunSnapshot;
    expect(result.answers?.map((answer) => [answer.by.via, answer.by.label, answer.input])).toEqual([['api', 'alice', 'yes'], ['system', null, 'no']]);
    expect(result.steps.map((step) => [step.name, step.output])).toEqual([['vote', 'no'], ['after', 'no']]);
  });

  it('take session-append-carried (engine revision 3): a human answer\'s session entry rides with the next agent step or the settle, one local activity fewer on the resume leg', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const patchData = (id: string) => Buffer.from(JSON.stringify({ id, deprecated: false })).toString('base64');
    // The local activities after the last resume Update was accepted, in order.
    const resumeLeg = (name: string) => {
      const list = events[name]!;
      return localActivityTypes(list.slice(list.findLastIndex((event) => event.workflowExecutionUpdateAcceptedEventAttributes)));
    };
    for (const name of ['session-carried', 'session-carried-settle']) {
      expect([name, histories[name]!.includes(patchData('engine-revision-3')), histories[name]!.includes('appendSessionEntry')]).toEqual([name, true, false]);
    }
    // The same lead router cycle as under revisions 1 and 2: no appendSessionEntry before route.
    expect(resumeLeg('run-fork')).toEqual(['appendSessionEntry', 'runAgentStep', 'recordRun']);
    expect(resumeLeg('engine-revision')).toEqual(['appendSessionEntry', 'runAgentStep', 'recordRun']);
    expect(resumeLeg('session-carried')).toEqual(['runAgentStep', 'recordRun']);
    expect(events['session-carried']!.length).toBe(events['engine-revision']!.length - 1);
    // A reviewed answer and an input answer with no agent step after them: the settles' writes carry them.
    expect(resumeLeg('read-model-review-and-input')).toEqual(['appendSessionEntry', 'recordRun']);
    expect(resumeLeg('session-carried-settle')).toEqual(['recordRun']);
  });

  it('take read-model-sink (engine revision 4): settles written through the worker sink, by the local activity only when they carry session entries', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const histories = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, JSON.stringify(entry.history)]));
    const patchData = (id: string) => Buffer.from(JSON.stringify({ id, deprecated: false })).toString('base64');
    const localActivities = (name: string) => localActivityTypes(events[name]!);
    for (const name of ['read-model-sink', 'read-model-sink-carried']) expect([name, histories[name]!.includes(patchData('engine-revision-4'))]).toEqual([name, true]);
    // The lead router cycle: its two agent steps, and nothing else, as local activities (revision 3 had two recordRun more).
    expect(localActivities('session-carried')).toEqual(['runAgentStep', 'recordRun', 'runAgentStep', 'recordRun']);
    expect(localActivities('read-model-sink')).toEqual(['runAgentStep', 'runAgentStep']);
    expect(events['read-model-sink']!.length).toBe(events['session-carried']!.length - 2);
    // The same runs as session-carried-settle: the pause after the review carries nothing (sink), the two after the answers carry their entries.
    expect(localActivities('session-carried-settle')).toEqual(['runAgentStep', 'recordRun', 'recordRun', 'recordRun']);
    expect(localActivities('read-model-sink-carried')).toEqual(['runAgentStep', 'recordRun', 'recordRun']);
  });

  it('take the engine revision the starter named: no patch marker and no TemporalChangeVersion upsert, otherwise the commands of the run that recorded it', async () => {
    const events = Object.fromEntries((await recordedHistories()).map((entry) => [entry.workflowId, (entry.history as RecordedHistory).events]));
    const patchMarkers = (name: string) => events[name]!.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch').length;
    const changeVersionUpserts = (name: string) => events[name]!.filter((event) => event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion).length;
    expect(startInputOf(events['revision-named']!).engineRevision).toBe(engineRevisions[0]!.id);
    expect([patchMarkers('revision-named'), changeVersionUpserts('revision-named')]).toEqual([0, 0]);
    expect([patchMarkers('read-model-sink'), changeVersionUpserts('read-model-sink')]).toEqual([1, 1]);
    // The same lead router cycle as read-model-sink (revision 4 as a marker), two events fewer.
    const kinds = (name: string) => events[name]!.filter((event) => event.markerRecordedEventAttributes?.markerName !== 'core_patch' && !event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.TemporalChangeVersion).map((event) => event.eventType);
    expect(kinds('revision-named')).toEqual(kinds('read-model-sink'));
    expect(events['revision-named']!.length).toBe(events['read-model-sink']!.length - 2);
  });

  it('follow the revision marker of a run whose starter named a revision but whose first workflow task a worker that does not read the name ran', async () => {
    // Such a worker records its newest revision as a marker, as read-model-sink did; the same history
    // with the name in its input is what a newer API and an older worker write together.
    const recorded = (await recordedHistories()).find((entry) => entry.workflowId === 'read-model-sink')!.history as RecordedHistory;
    const history = structuredClone(recorded);
    const started = history.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads[0]!;
    started.data = Buffer.from(JSON.stringify({ ...startInputOf(recorded.events), engineRevision: 'engine-revision-4' })).toString('base64');
    expect(startInputOf(history.events).engineRevision).toBe('engine-revision-4');
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)), logger: quiet });
    const sinks = { readModel: { record: { fn: () => {}, callDuringReplay: false } } };
    await expect(Worker.runReplayHistory({ workflowBundle, sinks }, history, 'revision-named-marked')).resolves.toBeUndefined();
  });

  it('replay deterministically with the current agentRun', async () => {
    const results = await replay(fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)));
    expect(results).toHaveLength(32);
    for (const result of results) expect({ workflowId: result.workflowId, error: result.error }).toEqual({ workflowId: result.workflowId, error: undefined });
  });

  it('fail to replay with a workflow whose command order changed', async () => {
    const results = await replay(fileURLToPath(new URL('./nondeterministic/index.ts', import.meta.url)));
    expect(results).toHaveLength(32);
    for (const result of results) expect(result.error).toBeInstanceOf(DeterminismViolationError);
  });
});
