// What completed runs' histories hold, per run: where engines differ in Temporal's work (events,
// workflow tasks, search-attribute upserts, local activities, activities), read straight from Temporal.
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { table } from './report.ts';

/** Per run, the mean over the runs read. */
export interface HistoryAnatomy {
  contender: string;
  runs: number;
  events: number;
  workflowTasks: number;
  /** The engine's own upserts (Baton: status, step, pending action). */
  batonUpserts: number;
  /** The SDK's upserts of TemporalChangeVersion that go with each patched() marker. */
  patchUpserts: number;
  localActivities: number;
  activities: number;
  /** One run's history, event by event (JSON results only). */
  example: { runId: string; events: string[] };
}

/**
 * Reads the histories of up to `runs` completed runs of `workflowType` on `taskQueue` and counts
 * their events. Runs are picked from Temporal by task queue, so deployments sharing a dev server
 * (and a namespace) never count each other's runs.
 */
export async function historyAnatomy(options: {
  temporal: { address: string; namespace: string };
  contender: string;
  workflowType: string;
  taskQueue: string;
  runs: number;
}): Promise<HistoryAnatomy> {
  const { temporal, contender, workflowType, taskQueue, runs } = options;
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }), namespace: temporal.namespace });
  const query = `WorkflowType = '${workflowType}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Completed'`;
  try {
    // Visibility may lag a moment behind the last cycle.
    let runIds: string[] = [];
    for (let attempt = 0; attempt < 40 && runIds.length < runs; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 250));
      runIds = [];
      for await (const execution of client.workflow.list({ query, pageSize: runs })) {
        runIds.push(execution.workflowId);
        if (runIds.length >= runs) break;
      }
    }
    if (runIds.length === 0) throw new Error(`${contender}: no completed run on ${taskQueue}`);
    return await countEvents(client, contender, runIds);
  } finally {
    await client.connection.close();
  }
}

async function countEvents(client: Client, contender: string, runIds: readonly string[]): Promise<HistoryAnatomy> {
  type Event = proto.temporal.api.history.v1.IHistoryEvent;
  const type = proto.temporal.api.enums.v1.EventType;
  const name = (event: Event) => {
    const base = (type[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
    const marker = event.markerRecordedEventAttributes?.markerName;
    return marker ? `${base} ${marker}` : base;
  };
  const histories = await Promise.all(runIds.map(async (runId) => ({ runId, events: (await client.workflow.getHandle(runId).fetchHistory()).events ?? [] })));
  const mean = (count: (events: Event[]) => number) => histories.reduce((sum, history) => sum + count(history.events), 0) / histories.length;
  const ofType = (wanted: proto.temporal.api.enums.v1.EventType) => (events: Event[]) => events.filter((event) => event.eventType === wanted).length;
  // The attribute names each upsert set: the SDK's own patch bookkeeping sets TemporalChangeVersion alone.
  const upserts = (events: Event[]) =>
    events.flatMap((event) => (event.eventType === type.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES ? [Object.keys(event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {})] : []));
  const onlyChangeVersion = (keys: string[]) => keys.length > 0 && keys.every((key) => key === 'TemporalChangeVersion');
  const first = histories[0] as (typeof histories)[number];
  return {
    contender,
    runs: histories.length,
    events: mean((events) => events.length),
    workflowTasks: mean(ofType(type.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)),
    batonUpserts: mean((events) => upserts(events).filter((keys) => !onlyChangeVersion(keys)).length),
    patchUpserts: mean((events) => upserts(events).filter(onlyChangeVersion).length),
    localActivities: mean((events) => events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length),
    activities: mean(ofType(type.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)),
    example: { runId: first.runId, events: first.events.map(name) },
  };
}

export function anatomyTable(anatomy: readonly HistoryAnatomy[]): string {
  const count = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));
  return table(['contender', 'runs read', 'events', 'workflow tasks', 'search-attribute upserts (engine)', 'patch upserts', 'local activities', 'activities'], anatomy.map((a) => [
    a.contender, String(a.runs), count(a.events), count(a.workflowTasks), count(a.batonUpserts), count(a.patchUpserts), count(a.localActivities), count(a.activities),
  ]));
}
