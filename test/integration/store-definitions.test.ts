import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/domain/errors.ts';
import { definitionSchema } from '../../src/domain/definition.ts';
import type { Store } from '../../src/store/open-store.ts';
import { backends, uniqueProject } from './store-backends.ts';

async function rejection(promise: Promise<unknown>): Promise<BatonError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BatonError);
  return error as BatonError;
}

describe.each(backends)('definitions on $name', (backend) => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await backend.openFresh());
  });
  afterAll(async () => dispose?.());

  const step = (agentId: string, action: string, stepOrder?: number) => ({ agentId, action, ...(stepOrder && { stepOrder }) });

  it('creates, reads, updates and deletes a definition, bumping the version on each change', async () => {
    const project = uniqueProject();
    const created = await store.definitions.create(project, { name: 'Tech News Briefing', description: 'news' });
    expect(definitionSchema.parse(created)).toEqual(created);
    expect(created.id).toMatch(/^wf-[0-9a-f]{12}$/);
    expect(created).toMatchObject({ project, name: 'Tech News Briefing', description: 'news', agent: null, steps: [], version: 1 });
    expect(await store.definitions.get(project, created.id)).toEqual(created);

    const updated = await store.definitions.update(project, created.id, { name: 'Renamed', description: null, pauseTimeout: '2d' });
    expect(updated).toMatchObject({ name: 'Renamed', description: null, pauseTimeout: '2d', version: 2, createdAt: created.createdAt });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(await store.definitions.update(project, created.id, {})).toEqual(updated);

    await store.definitions.delete(project, created.id);
    expect((await rejection(store.definitions.get(project, created.id))).code).toBe('workflow_not_found');
    expect((await rejection(store.definitions.delete(project, created.id))).code).toBe('workflow_not_found');
    expect((await rejection(store.definitions.update(project, created.id, { name: 'x' }))).code).toBe('workflow_not_found');
  });

  it('hides every definition from other projects', async () => {
    const owner = uniqueProject();
    const other = uniqueProject();
    const definition = await store.definitions.create(owner, { name: 'mine' });
    for (const attempt of [
      () => store.definitions.get(other, definition.id),
      () => store.definitions.update(other, definition.id, { name: 'stolen' }),
      () => store.definitions.delete(other, definition.id),
      () => store.definitions.listSteps(other, definition.id),
      () => store.definitions.addStep(other, definition.id, step('a', 'b')),
      () => store.definitions.clone(other, definition.id),
    ]) {
      expect((await rejection(attempt())).code).toBe('workflow_not_found');
    }
    expect(await store.definitions.list(other, { page: 0, size: 20 })).toEqual({ content: [], totalElements: 0, totalPages: 0 });
    expect(await store.definitions.get(owner, definition.id)).toEqual(definition);
  });

  it('appends steps, inserts at an existing order by shifting, and closes the gap on removal', async () => {
    const project = uniqueProject();
    const { id } = await store.definitions.create(project, { name: 'pipeline' });
    const search = await store.definitions.addStep(project, id, step('web_agent', 'Search', 1));
    const draft = await store.definitions.addStep(project, id, step('procurator_assistant', 'Draft'));
    expect(search.id).toMatch(/^st-[0-9a-z]{26}$/);
    expect(search).toMatchObject({ name: 'step-1', stepOrder: 1, type: 'agent', requireApproval: false });
    expect(draft).toMatchObject({ name: 'step-2', stepOrder: 2 });

    const summarize = await store.definitions.addStep(project, id, step('procurator_assistant', 'Summarize', 2));
    // step-2 is taken by the shifted step, so the inserted one gets the next free default name.
    expect(summarize).toMatchObject({ name: 'step-2-2', stepOrder: 2 });
    const orderOf = async () => (await store.definitions.listSteps(project, id)).map((s) => [s.stepOrder, s.id]);
    expect(await orderOf()).toEqual([[1, search.id], [2, summarize.id], [3, draft.id]]);

    const far = await store.definitions.addStep(project, id, step('x', 'Beyond the end', 99));
    expect(far.stepOrder).toBe(4);

    await store.definitions.removeStep(project, id, summarize.id);
    expect(await orderOf()).toEqual([[1, search.id], [2, draft.id], [3, far.id]]);
    await store.definitions.removeStep(project, id, search.id);
    expect(await orderOf()).toEqual([[1, draft.id], [2, far.id]]);
    expect((await rejection(store.definitions.removeStep(project, id, search.id))).code).toBe('step_not_found');

    const definition = await store.definitions.get(project, id);
    expect(definition.steps.map((s) => s.id)).toEqual([draft.id, far.id]);
    expect(definition.version).toBe(1 + 4 + 2);
  });

  it('stores approval and input steps with their options, and refuses a duplicate step name', async () => {
    const project = uniqueProject();
    const { id } = await store.definitions.create(project, { name: 'branching' });
    const approval = await store.definitions.addStep(project, id, {
      type: 'approval',
      name: 'review',
      message: 'Publish {{steps.step-1.output}}?',
      options: ['approve', 'reject'],
      next: { reject: 'end' },
      pauseTimeout: 'never',
      retry: { attempts: 2, backoff: '2s', backoffCoefficient: 2 },
    });
    const input = await store.definitions.addStep(project, id, { type: 'input', message: 'Give a title', schema: { type: 'string' } });
    const agent = await store.definitions.addStep(project, id, { ...step('writer', 'Write'), requireApproval: true, timeout: '30s' });
    expect(await store.definitions.listSteps(project, id)).toEqual([approval, input, agent]);
    expect(approval).toMatchObject({ type: 'approval', options: ['approve', 'reject'], next: { reject: 'end' }, pauseTimeout: 'never' });
    expect(agent).toMatchObject({ requireApproval: true, timeout: '30s' });

    const duplicate = await rejection(store.definitions.addStep(project, id, { ...step('writer', 'again'), name: 'review' }));
    expect([duplicate.code, duplicate.status]).toEqual(['conflict', 409]);
    expect(await store.definitions.listSteps(project, id)).toHaveLength(3);
  });

  it('serialises concurrent appends so every step gets its own order', async () => {
    const project = uniqueProject();
    const { id } = await store.definitions.create(project, { name: 'busy' });
    await Promise.all(Array.from({ length: 8 }, (_, n) => store.definitions.addStep(project, id, step('a', `action ${n}`))));
    expect((await store.definitions.listSteps(project, id)).map((s) => s.stepOrder)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('clones a definition with every step under new ids and leaves the original alone', async () => {
    const project = uniqueProject();
    const source = await store.definitions.create(project, { name: 'Tech News Briefing', description: 'd', agent: 'briefing' });
    await store.definitions.addStep(project, source.id, step('web_agent', 'Search'));
    await store.definitions.addStep(project, source.id, { type: 'approval', message: 'ok?', options: ['yes', 'no'] });
    const original = await store.definitions.get(project, source.id);

    const copy = await store.definitions.clone(project, source.id);
    expect(copy).toMatchObject({ name: 'Tech News Briefing (Copy)', description: 'd', agent: null, version: 1 });
    expect(copy.id).not.toBe(source.id);
    expect(copy.steps.map(({ id: _id, ...rest }) => rest)).toEqual(original.steps.map(({ id: _id, ...rest }) => rest));
    expect(copy.steps.some((s) => original.steps.some((o) => o.id === s.id))).toBe(false);

    await store.definitions.removeStep(project, copy.id, copy.steps[0]!.id);
    expect(await store.definitions.get(project, source.id)).toEqual(original);
    const longName = await store.definitions.create(project, { name: 'n'.repeat(200) });
    expect((await store.definitions.clone(project, longName.id)).name).toHaveLength(200);
  });

  it('pages definitions oldest first in Spring page shape', async () => {
    const project = uniqueProject();
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await store.definitions.create(project, { name: `wf ${n}` })).id);
    await store.definitions.addStep(project, ids[0]!, step('a', 'b'));

    const first = await store.definitions.list(project, { page: 0, size: 2 });
    expect(first.totalElements).toBe(5);
    expect(first.totalPages).toBe(3);
    expect(first.content.map((d) => d.id)).toEqual(ids.slice(0, 2));
    expect(first.content[0]!.steps).toHaveLength(1);
    expect((await store.definitions.list(project, { page: 2, size: 2 })).content.map((d) => d.id)).toEqual(ids.slice(4));
    expect((await store.definitions.list(project, { page: 3, size: 2 })).content).toEqual([]);
  });

  it('publishes one definition per agent slug and finds it by that slug', async () => {
    const project = uniqueProject();
    const published = await store.definitions.create(project, { name: 'router', agent: 'lead_router' });
    expect((await store.definitions.findByAgent(project, 'lead_router'))?.id).toBe(published.id);
    expect(await store.definitions.findByAgent(project, 'nobody')).toBeNull();
    expect(await store.definitions.findByAgent(uniqueProject(), 'lead_router')).toBeNull();

    expect((await rejection(store.definitions.create(project, { name: 'again', agent: 'lead_router' }))).code).toBe('conflict');
    const other = await store.definitions.create(project, { name: 'other' });
    expect((await rejection(store.definitions.update(project, other.id, { agent: 'lead_router' }))).code).toBe('conflict');
    expect((await store.definitions.list(project, { page: 0, size: 20 })).totalElements).toBe(2);
    // Another project may publish the same slug.
    await expect(store.definitions.create(uniqueProject(), { name: 'r', agent: 'lead_router' })).resolves.toMatchObject({ agent: 'lead_router' });
  });

  it('loads an example once under its stable id and keeps later edits on reload', async () => {
    const project = uniqueProject();
    const example = {
      id: 'wf-lead-router',
      name: 'Lead router',
      agent: 'lead-router',
      steps: [
        { agentId: 'classify', action: 'Classify the lead' },
        { type: 'approval' as const, name: 'approve', message: 'Route it?', options: ['approve', 'reject'] },
      ],
    };
    const first = await store.definitions.upsertExample(project, example);
    expect(first.created).toBe(true);
    expect(first.definition).toMatchObject({ id: 'wf-lead-router', agent: 'lead-router' });
    expect(first.definition.steps.map((s) => [s.name, s.stepOrder])).toEqual([['step-1', 1], ['approve', 2]]);

    await store.definitions.update(project, 'wf-lead-router', { name: 'Edited' });
    const [again, racing] = await Promise.all([store.definitions.upsertExample(project, example), store.definitions.upsertExample(project, example)]);
    expect([again.created, racing.created]).toEqual([false, false]);
    expect(again.definition).toMatchObject({ name: 'Edited', version: 2 });
    expect(again.definition.steps).toHaveLength(2);
  });
});
