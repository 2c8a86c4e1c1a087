import { describe, expect, it } from 'vitest';
import type { ProjectSettings } from '../../src/domain/project-settings.ts';
import { cacheProjectSettings } from '../../src/store/project-settings-cache.ts';

// The cache in front of the store's settings: a table of values and a count of reads stand in for
// the repository, whose own behaviour the contract tests cover on a real store.
function table() {
  const rows = new Map<string, ProjectSettings>();
  let reads = 0;
  let gate: Promise<void> | null = null;
  return {
    rows,
    get reads() { return reads; },
    hold() {
      let release!: () => void;
      gate = new Promise((resolve) => { release = resolve; });
      return () => { gate = null; release(); };
    },
    repository: {
      async get(project: string) {
        reads += 1;
        const value = rows.get(project) ?? {};
        if (gate) await gate;
        return { settings: value, updatedAt: null };
      },
    },
  };
}

describe('project settings cache', () => {
  it('serves starts from memory within the TTL, then reads again', async () => {
    const store = table();
    let clock = 0;
    const cache = cacheProjectSettings(store.repository, { ttlMs: 5_000, now: () => clock });
    store.rows.set('p', { pauseTimeout: '2s' });
    expect(await cache.get('p')).toEqual({ pauseTimeout: '2s' });
    store.rows.set('p', { pauseTimeout: '9s' });
    clock = 4_999;
    expect([await cache.get('p'), store.reads]).toEqual([{ pauseTimeout: '2s' }, 1]);
    clock = 5_000;
    expect([await cache.get('p'), store.reads]).toEqual([{ pauseTimeout: '9s' }, 2]);
  });

  it('reads the new value at once after forget (a change through this process)', async () => {
    const store = table();
    const cache = cacheProjectSettings(store.repository, { now: () => 0 });
    expect(await cache.get('p')).toEqual({});
    store.rows.set('p', { remindAfter: '1h' });
    cache.forget('p');
    expect(await cache.get('p')).toEqual({ remindAfter: '1h' });
  });

  it('does not keep a value read before a change that committed while the read was in flight', async () => {
    const store = table();
    const cache = cacheProjectSettings(store.repository, { now: () => 0 });
    const release = store.hold();
    const stale = cache.get('p');
    store.rows.set('p', { pauseTimeout: 'never' });
    cache.forget('p');
    release();
    expect(await stale).toEqual({});
    expect(await cache.get('p')).toEqual({ pauseTimeout: 'never' });
    expect(store.reads).toBe(2);
  });

  it('keeps at most maxEntries projects, dropping the one read from the store longest ago', async () => {
    const store = table();
    const cache = cacheProjectSettings(store.repository, { maxEntries: 2, now: () => 0 });
    for (const project of ['a', 'b', 'c']) await cache.get(project);
    expect(store.reads).toBe(3);
    await cache.get('c');
    await cache.get('b');
    expect(store.reads).toBe(3);
    await cache.get('a');
    expect(store.reads).toBe(4);
  });
});
