import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/domain/errors.ts';
import type { Store } from '../../src/store/open-store.ts';
import { backends, uniqueProject } from './store-backends.ts';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(BatonError);
  return (error as BatonError).code;
}

describe.each(backends)('agents and sessions on $name', (backend) => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await backend.openFresh());
  });
  afterAll(async () => dispose?.());

  const llm = { id: 'summarizer', kind: 'llm' as const, description: 'Summarizes', config: { model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', tools: [{ name: 'calculator', requiresApproval: true }] } };
  const http = { id: 'crm-hook', kind: 'http' as const, config: { url: 'https://crm.example.com/hook', timeoutMs: 5000, headers: { 'x-team': 'sales' } } };

  it('creates, lists, updates and deletes http and llm agents per project', async () => {
    const project = uniqueProject();
    expect(await store.agents.create(project, llm)).toEqual(llm);
    expect(await store.agents.create(project, http)).toEqual({ ...http, description: null });
    expect((await store.agents.list(project)).map((a) => a.id)).toEqual(['crm-hook', 'summarizer']);
    expect(await store.agents.get(project, 'summarizer')).toEqual(llm);

    const updated = await store.agents.update(project, 'summarizer', { config: { model: 'gpt-4.1', temperature: 0.2, apiKeyEnv: null } });
    expect(updated).toEqual({ ...llm, config: { model: 'gpt-4.1', temperature: 0.2, tools: llm.config.tools } });
    expect(await store.agents.get(project, 'summarizer')).toEqual(updated);
    expect(await store.agents.update(project, 'crm-hook', { description: 'CRM' })).toMatchObject({ description: 'CRM', config: http.config });

    await store.agents.delete(project, 'crm-hook');
    expect(await store.agents.find(project, 'crm-hook')).toBeNull();
    expect(await codeOf(store.agents.get(project, 'crm-hook'))).toBe('agent_not_found');
    expect(await codeOf(store.agents.delete(project, 'crm-hook'))).toBe('agent_not_found');
    expect(await codeOf(store.agents.update(project, 'crm-hook', { description: 'x' }))).toBe('agent_not_found');
  });

  it('refuses a duplicate id, a merged config that does not fit the kind and a refused check, changing nothing', async () => {
    const project = uniqueProject();
    await store.agents.create(project, llm);
    expect(await codeOf(store.agents.create(project, { ...http, id: 'summarizer' }))).toBe('conflict');
    expect(await codeOf(store.agents.update(project, 'summarizer', { config: { url: 'https://x.example.com' } }))).toBe('invalid_request');
    expect(await codeOf(store.agents.update(project, 'summarizer', { kind: 'http' }))).toBe('conflict');
    const refuse = () => {
      throw new BatonError('unprocessable', 'no');
    };
    expect(await codeOf(store.agents.update(project, 'summarizer', { config: { temperature: 0.5 } }, refuse))).toBe('unprocessable');
    expect(await store.agents.list(project)).toEqual([llm]);
  });

  it('keeps each project’s agents to itself', async () => {
    const owner = uniqueProject();
    const other = uniqueProject();
    await store.agents.create(owner, llm);
    expect(await store.agents.list(other)).toEqual([]);
    expect(await codeOf(store.agents.get(other, 'summarizer'))).toBe('agent_not_found');
    expect(await codeOf(store.agents.delete(other, 'summarizer'))).toBe('agent_not_found');
    await expect(store.agents.create(other, llm)).resolves.toEqual(llm);
  });

  it('appends a session entry once per run and step and lists the transcript oldest first', async () => {
    const project = uniqueProject();
    const entry = (runId: string, step: string, output: unknown) => ({ runId, step, agentId: 'a', input: { task: 't' }, output, at: '2026-05-06T10:00:00Z' });
    await store.sessions.append(project, 's1', entry('wfr_1', 'step-1', 'first'));
    await store.sessions.append(project, 's1', entry('wfr_1', 'step-1', 'retried'));
    await store.sessions.append(project, 's1', entry('wfr_1', 'step-2', ['list', 2]));
    await store.sessions.append(project, 's1', { ...entry('wfr_2', 'step-1', null), agentId: null, input: undefined });
    await store.sessions.append(project, 's2', entry('wfr_3', 'step-1', 'elsewhere'));

    expect(await store.sessions.list(project, 's1')).toEqual([
      entry('wfr_1', 'step-1', 'first'),
      entry('wfr_1', 'step-2', ['list', 2]),
      { ...entry('wfr_2', 'step-1', null), agentId: null, input: null },
    ]);
    expect(await store.sessions.list(uniqueProject(), 's1')).toEqual([]);
    expect(await store.sessions.list(project, 'missing')).toEqual([]);
  });

  it('appends carried entries and answers the transcript with them in one call, once per run and step', async () => {
    const project = uniqueProject();
    const entry = (runId: string, step: string, output: unknown) => ({ runId, step, agentId: null, input: null, output, at: '2026-05-06T10:00:00Z' });
    await store.sessions.append(project, 's1', entry('wfr_0', 'earlier', 'before'));
    // The agent after the answers reads them with the earlier entry, in the order they were stored.
    expect(await store.sessions.appendAndList(project, 's1', [entry('wfr_1', 'ask', 'yes'), entry('wfr_1', 'again', { amount: 3 })])).toEqual([
      entry('wfr_0', 'earlier', 'before'), entry('wfr_1', 'ask', 'yes'), entry('wfr_1', 'again', { amount: 3 }),
    ]);
    // A retried attempt stores nothing twice and reads the same transcript; then one entry alone, a U+0000 made storable.
    expect(await store.sessions.appendAndList(project, 's1', [entry('wfr_1', 'ask', 'changed'), entry('wfr_1', 'again', 'changed')])).toEqual(await store.sessions.list(project, 's1'));
    expect(await store.sessions.appendAndList(project, 's1', [entry('wfr_2', 'ask', 'a\u0000b')])).toEqual([
      entry('wfr_0', 'earlier', 'before'), entry('wfr_1', 'ask', 'yes'), entry('wfr_1', 'again', { amount: 3 }), entry('wfr_2', 'ask', 'a\ufffdb'),
    ]);
    expect(await store.sessions.appendAndList(project, 's2', [])).toEqual([]);
    expect(await store.sessions.list(project, 's1')).toHaveLength(4);
  });

  it('answers ping while open', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
