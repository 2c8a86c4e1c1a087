// The definition cache of run starts against real stores: it may save the steps read, never serve
// a changed or deleted definition. Each change is made through the store directly, as another API
// process would make it, so only the stamp check can notice it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Definition } from '../../src/domain/definition.ts';
import { leadRouterExample } from '../../src/examples/lead-router.ts';
import { cacheStartDefinitions } from '../../src/store/definition-cache.ts';
import type { Store } from '../../src/store/open-store.ts';
import { backends, uniqueProject } from './store-backends.ts';

const names = (definition: Definition | null) => definition?.steps.map((step) => step.name);

describe.each(backends)('definition cache of run starts on $name', (backend) => {
  let store: Store;
  let dispose: () => Promise<void>;
  // Full reads (row and steps) the cache made.
  let fullReads = 0;
  beforeAll(async () => {
    ({ store, dispose } = await backend.openFresh());
  });
  afterAll(async () => dispose?.());

  function cache(maxEntries?: number) {
    const counted = { ...store.definitions, get: (project: string, id: string) => { fullReads += 1; return store.definitions.get(project, id); } };
    return cacheStartDefinitions(counted, maxEntries === undefined ? {} : { maxEntries });
  }

  it('reads the steps once, and again after each change: a rename, an added step, a removed step', async () => {
    const project = uniqueProject();
    const starts = cache();
    const created = await store.definitions.create(project, { name: 'Cached', agent: 'cached-agent' });
    await store.definitions.addStep(project, created.id, { name: 'one', agentId: 'echo', action: '' });
    fullReads = 0;
    const first = await starts.findByAgent(project, 'cached-agent');
    expect([await starts.get(project, created.id), await starts.findByAgent(project, 'cached-agent')]).toEqual([first, first]);
    expect([names(first), fullReads]).toEqual([['one'], 1]);

    await store.definitions.update(project, created.id, { name: 'Renamed' });
    expect((await starts.get(project, created.id)).name).toBe('Renamed');
    const added = await store.definitions.addStep(project, created.id, { name: 'two', agentId: 'echo', action: '' });
    expect(names(await starts.findByAgent(project, 'cached-agent'))).toEqual(['one', 'two']);
    await store.definitions.removeStep(project, created.id, added.id);
    expect(names(await starts.get(project, created.id))).toEqual(['one']);
    expect(await starts.get(project, created.id)).toEqual(await store.definitions.get(project, created.id));
    expect(fullReads).toBe(4);
  });

  it('never serves a deleted definition, and reads one created again under its id afresh', async () => {
    const project = uniqueProject();
    const starts = cache();
    const { definition } = await store.definitions.upsertExample(project, leadRouterExample);
    expect(await starts.get(project, definition.id)).toEqual(definition);
    await store.definitions.delete(project, definition.id);
    await expect(starts.get(project, definition.id)).rejects.toMatchObject({ code: 'workflow_not_found' });
    expect(await starts.findByAgent(project, 'lead-router')).toBeNull();

    // The same id and version 1 again, with other steps: its timestamps tell it apart.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await store.definitions.upsertExample(project, { ...leadRouterExample, steps: leadRouterExample.steps.slice(0, 1) });
    expect([again.definition.id, again.definition.version]).toEqual([definition.id, definition.version]);
    expect(names(await starts.findByAgent(project, 'lead-router'))).toEqual(['classify']);
  });

  it('keeps at most maxEntries definitions, dropping the least recently started', async () => {
    const project = uniqueProject();
    const starts = cache(2);
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) ids.push((await store.definitions.create(project, { name })).id);
    fullReads = 0;
    for (const id of [ids[0]!, ids[1]!, ids[0]!, ids[2]!, ids[0]!, ids[1]!]) await starts.get(project, id);
    // a, b, (a cached), c evicts b, (a cached), b again.
    expect(fullReads).toBe(4);
  });
});

describe('definition cache of run starts on a store only this process writes', () => {
  const [pglite, postgres] = [backends.find((b) => b.name === 'pglite')!, backends.find((b) => b.name === 'postgres')!];
  let store: Store;
  let dispose: () => Promise<void>;
  // Stamp reads the cache made (one per start that had to ask the store).
  let stampReads = 0;
  beforeAll(async () => {
    ({ store, dispose } = await pglite.openFresh());
  });
  afterAll(async () => dispose?.());

  function cache() {
    const counted = {
      ...store.definitions,
      stamp: (project: string, id: string) => { stampReads += 1; return store.definitions.stamp(project, id); },
      stampByAgent: (project: string, agent: string) => { stampReads += 1; return store.definitions.stampByAgent(project, agent); },
    };
    return cacheStartDefinitions(counted, { changes: store.definitionChanges! });
  }

  it('counts the embedded store\'s definition changes, and PostgreSQL has no such count', async () => {
    const project = uniqueProject();
    const before = store.definitionChanges!();
    const created = await store.definitions.create(project, { name: 'Counted' });
    await store.definitions.get(project, created.id);
    await store.definitions.list(project, { page: 0, size: 20 });
    await expect(store.definitions.update(project, 'wf-none', { name: 'x' })).rejects.toMatchObject({ code: 'workflow_not_found' });
    // The create and the failed update (a change might have been made before it failed); no read.
    expect(store.definitionChanges!() - before).toBe(2);
    const other = await postgres.openFresh();
    try {
      expect(other.store.definitionChanges).toBeNull();
    } finally {
      await other.dispose();
    }
  });

  it('serves a definition without reading its stamp until this process changes a definition', async () => {
    const project = uniqueProject();
    const starts = cache();
    const created = await store.definitions.create(project, { name: 'Cached', agent: 'sole-agent' });
    await store.definitions.addStep(project, created.id, { name: 'one', agentId: 'echo', action: '' });
    stampReads = 0;
    const first = await starts.findByAgent(project, 'sole-agent');
    const readsForFirst = stampReads;
    for (let i = 0; i < 3; i++) expect([await starts.findByAgent(project, 'sole-agent'), await starts.get(project, created.id)]).toEqual([first, first]);
    expect(stampReads).toBe(readsForFirst);

    const added = await store.definitions.addStep(project, created.id, { name: 'two', agentId: 'echo', action: '' });
    expect(names(await starts.get(project, created.id))).toEqual(['one', 'two']);
    expect(names(await starts.findByAgent(project, 'sole-agent'))).toEqual(['one', 'two']);
    await store.definitions.update(project, created.id, { agent: 'renamed-agent' });
    expect(await starts.findByAgent(project, 'sole-agent')).toBeNull();
    expect((await starts.findByAgent(project, 'renamed-agent'))?.steps.map((step) => step.id)).toContain(added.id);
    await store.definitions.delete(project, created.id);
    await expect(starts.get(project, created.id)).rejects.toMatchObject({ code: 'workflow_not_found' });
    expect(await starts.findByAgent(project, 'renamed-agent')).toBeNull();
  });
});
