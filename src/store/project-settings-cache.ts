// Project settings as run starts read them: from memory for up to `ttlMs`, so a start costs no
// store read. A change through this process drops its entry at once; another API process keeps
// the value it read for at most `ttlMs` (5 s by default) before it reads the new one.
import type { ProjectSettings } from '../domain/project-settings.ts';
import type { ProjectSettingsRepository } from './project-settings.ts';

export interface StartSettings {
  get(project: string): Promise<ProjectSettings>;
  /** Forgets the project's entry: call it once a change has committed. */
  forget(project: string): void;
}

export const defaultSettingsTtlMs = 5_000;
const defaultMaxEntries = 1_000;

export function cacheProjectSettings(
  repository: Pick<ProjectSettingsRepository, 'get'>,
  options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
): StartSettings {
  const ttlMs = options.ttlMs ?? defaultSettingsTtlMs;
  const maxEntries = options.maxEntries ?? defaultMaxEntries;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { settings: ProjectSettings; readAt: number }>();
  // Bumped by every forget: a read that began before it may hold the old value and is not cached.
  let generation = 0;

  return {
    async get(project) {
      const cached = cache.get(project);
      if (cached && now() - cached.readAt < ttlMs) return cached.settings;
      const startedAt = now();
      const startedGeneration = generation;
      const { settings } = await repository.get(project);
      if (startedGeneration === generation) {
        cache.delete(project);
        cache.set(project, { settings, readAt: startedAt });
        if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
      }
      return settings;
    },
    forget(project) {
      generation += 1;
      cache.delete(project);
    },
  };
}
