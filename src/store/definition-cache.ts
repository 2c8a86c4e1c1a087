// Definitions as run starts read them. A start reads only the definition's stamp (one row, no
// steps) and takes the whole definition from memory when the stamp is the cached one's. Every
// change bumps the version and a deleted definition has no row, in whatever process it happened,
// so a start never gets a changed or deleted definition; the cache saves the steps read, no more.
import type { Definition } from '../domain/definition.ts';
import { workflowNotFound } from './definition-rows.ts';
import type { DefinitionRepository, DefinitionStamp } from './definitions.ts';

/** The reads a run start makes: by id (Agent Manager API) and by agent slug (v1 API). */
export interface StartDefinitions {
  get(project: string, id: string): Promise<Definition>;
  findByAgent(project: string, agent: string): Promise<Definition | null>;
}

/** Enough for every definition a busy deployment starts; the least recently started go first. */
const defaultMaxEntries = 1_000;

export function cacheStartDefinitions(definitions: Pick<DefinitionRepository, 'get' | 'stamp' | 'stampByAgent'>, options: { maxEntries?: number } = {}): StartDefinitions {
  const maxEntries = options.maxEntries ?? defaultMaxEntries;
  const cache = new Map<string, Definition>();
  const keyOf = (project: string, id: string) => `${project}\u0000${id}`;
  const matches = (definition: Pick<Definition, 'version' | 'createdAt' | 'updatedAt'>, stamp: DefinitionStamp) =>
    definition.version === stamp.version && definition.createdAt === stamp.createdAt && definition.updatedAt === stamp.updatedAt;

  async function current(project: string, stamp: DefinitionStamp): Promise<Definition> {
    const key = keyOf(project, stamp.id);
    const cached = cache.get(key);
    if (cached && matches(cached, stamp)) {
      // Most recently used last, so the oldest is first to go.
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    cache.delete(key);
    const definition = await definitions.get(project, stamp.id);
    // The row and the steps are two reads: cached only when no change landed between them.
    const after = await definitions.stamp(project, stamp.id);
    if (after && matches(definition, after)) {
      cache.set(key, definition);
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    }
    return definition;
  }

  return {
    async get(project, id) {
      const stamp = await definitions.stamp(project, id);
      if (!stamp) {
        cache.delete(keyOf(project, id));
        throw workflowNotFound(id);
      }
      return await current(project, stamp);
    },
    async findByAgent(project, agent) {
      const stamp = await definitions.stampByAgent(project, agent);
      return stamp ? await current(project, stamp) : null;
    },
  };
}
