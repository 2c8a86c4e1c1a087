// Session memory end to end: Baton as composed for `baton start`, its activities keeping the
// transcript in the store, on PGlite and on PostgreSQL; web_agent and procurator_assistant are the
// shipped llm agents, answering through the fake model. Agents of later steps and runs of a session see what earlier ones did,
// with human-decided outputs in place of proposals; other sessions and projects see nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/domain/run.ts';
import type { Store } from '../../src/store/open-store.ts';
import { startAgentManagerStack, type AgentManagerStack } from '../contract/agent-manager-stack.ts';
import { backends } from './store-backends.ts';
import { defineRun } from './engine-harness.ts';

interface ProbeAnswer {
  sessionId: string;
  saw: Array<{ runId: string; step: string; agentId: string | null; input: unknown; output: unknown }>;
}

describe.each(backends)('session memory on $name', (backend) => {
  let store: Store;
  let stack: AgentManagerStack;
  beforeAll(async () => {
    stack = await startAgentManagerStack(`sessions-${backend.name}`, { database: backend.name });
    store = stack.store;
  });
  afterAll(async () => stack?.close());

  const run = (project: string, steps: Parameters<typeof defineRun>[1], input: string, sessionId: string): Promise<RunSnapshot> =>
    stack.runs.startAndWait({ project, definition: defineRun(project, steps), task: input, state: {}, input, sessionId });

  it('shows later steps and runs of a session the transcript, human answers included', async () => {
    // A project of the stack: the runtime stored the example llm agents there.
    const [project] = stack.projects;
    const first = await run(project, [
      { name: 'search', agentId: 'web_agent', action: 'Search' },
      { name: 'summary', agentId: 'procurator_assistant', action: 'Summarize', requireApproval: true },
      { name: 'publish', type: 'approval', message: 'Publish?', options: ['yes', 'no'] },
    ], 'fusion', 'ses-news');
    expect(first.pendingAction).toMatchObject({ step: 'summary', type: 'review' });
    // Nothing of the reviewed step is remembered until the human decides.
    expect((await store.sessions.list(project, 'ses-news')).map((entry) => entry.step)).toEqual(['search']);
    await stack.runs.resumeAndWait(project, first.runId, { step: 'summary', input: 'Human summary' });
    const finished = await stack.runs.resumeAndWait(project, first.runId, { step: 'publish', input: 'yes' });
    expect(finished.status).toBe('completed');

    const later = await run(project, [
      { name: 'recall', agentId: 'session_probe', action: 'Remember' },
      { name: 'recall-again', agentId: 'session_probe', action: 'Remember' },
    ], 'what happened?', 'ses-news');
    const search = finished.steps[0]!;
    const earlier = [
      { runId: first.runId, step: 'search', agentId: 'web_agent', input: 'fusion', output: search.output },
      { runId: first.runId, step: 'summary', agentId: 'procurator_assistant', input: search.output, output: 'Human summary' },
      { runId: first.runId, step: 'publish', agentId: null, input: 'Human summary', output: 'yes' },
    ];
    const recall = later.steps[0]!.output as ProbeAnswer;
    expect(recall).toEqual({ sessionId: 'ses-news', saw: earlier });
    // A step sees the earlier steps of its own run too.
    expect(later.result).toEqual({ sessionId: 'ses-news', saw: [...earlier, { runId: later.runId, step: 'recall', agentId: 'session_probe', input: 'what happened?', output: recall }] });
    // Exactly one entry per run and step.
    expect((await store.sessions.list(project, 'ses-news')).map((entry) => `${entry.runId}/${entry.step}`)).toEqual([
      `${first.runId}/search`, `${first.runId}/summary`, `${first.runId}/publish`, `${later.runId}/recall`, `${later.runId}/recall-again`,
    ]);
  });

  it('keeps sessions apart, and projects apart under the same session id', async () => {
    const [project, stranger] = stack.projects;
    await run(project, [{ name: 'search', agentId: 'web_agent', action: 'Search' }], 'fusion', 'ses-shared');
    const otherSession = await run(project, [{ name: 'recall', agentId: 'session_probe', action: 'Remember' }], 'x', 'ses-other');
    const otherProject = await run(stranger, [{ name: 'recall', agentId: 'session_probe', action: 'Remember' }], 'x', 'ses-shared');
    expect(otherSession.result).toEqual({ sessionId: 'ses-other', saw: [] });
    expect(otherProject.result).toEqual({ sessionId: 'ses-shared', saw: [] });
    const same = await run(project, [{ name: 'recall', agentId: 'session_probe', action: 'Remember' }], 'x', 'ses-shared');
    expect((same.result as ProbeAnswer).saw.map((entry) => entry.step)).toEqual(['search']);
  });
});
