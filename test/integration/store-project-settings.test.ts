import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../../src/domain/errors.ts';
import type { ProjectSettingsPatch } from '../../src/domain/project-settings.ts';
import type { Store } from '../../src/store/open-store.ts';
import { backends, uniqueProject } from './store-backends.ts';

describe.each(backends)('project settings on $name', (backend) => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ store, dispose } = await backend.openFresh());
  });
  afterAll(async () => dispose?.());

  it('answers nothing set for a new project, merges patches, and clears a field with null', async () => {
    const project = uniqueProject();
    expect(await store.projectSettings.get(project)).toEqual({ settings: {}, updatedAt: null });
    const first = await store.projectSettings.update(project, { pauseTimeout: '2d', remindAfter: '4h' });
    expect(first.settings).toEqual({ pauseTimeout: '2d', remindAfter: '4h' });
    const second = await store.projectSettings.update(project, { remindAfter: null, remindEvery: 3_600_000 });
    expect(second.settings).toEqual({ pauseTimeout: '2d', remindEvery: 3_600_000 });
    expect(await store.projectSettings.get(project)).toEqual(second);
    // Other projects see none of it.
    expect((await store.projectSettings.get(uniqueProject())).settings).toEqual({});
  });

  it('applies concurrent patches one after the other, losing none', async () => {
    const project = uniqueProject();
    const patches: ProjectSettingsPatch[] = [{ pauseTimeout: 'never' }, { remindAfter: '1h' }, { remindEvery: '1d' }];
    await Promise.all(patches.map((patch) => store.projectSettings.update(project, patch)));
    expect((await store.projectSettings.get(project)).settings).toEqual({ pauseTimeout: 'never', remindAfter: '1h', remindEvery: '1d' });
  });

  it('refuses a patch whose result is not valid settings and keeps what was stored', async () => {
    const project = uniqueProject();
    const stored = await store.projectSettings.update(project, { pauseTimeout: '1h' });
    const refused = await store.projectSettings.update(project, { remindAfter: '0s' }).then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(BatonError);
    expect((refused as BatonError).code).toBe('invalid_request');
    expect(await store.projectSettings.get(project)).toEqual(stored);
  });
});
