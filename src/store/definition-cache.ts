// Definitions as run starts read them. A start reads only the definition's stamp (one row, no
// steps) and takes the whole definition from memory when the stamp is the cached one's. Every
// change bumps the version and a deleted definition has no row, in whatever process it happened,
// so a start never gets a changed or deleted definition; the cache saves the steps read, no more.
// On a store only this process writes (embedded PGlite) a count of the changes it made says the
// same without a query: while it has not moved, a cached definition is the current one.
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

export interface StartDefinitionsOptions {
  maxEntries?: number;
  /**
   * Only for a store no other process writes: the number of definition changes made so far
   * (countDefinitionChanges). A definition cached when it last had this value is served without
   * reading its stamp.
   */
  changes?: () => number;
}

export function cacheStartDefinitions(definitions: Pick<DefinitionRepository, 'get' | 'stamp' | 'stampByAgent'>, options: StartDefinitionsOptions = {}): StartDefinitions {
  const maxEntries = options.maxEntries ?? defaultMaxEntries;
  const { changes } = options;
  // `seen`: the change count when the definition was read (-1 without a count: always check the stamp).
  const cache = new Map<string, { definition: Definition; seen: number }>();
  // Agent slug → definition id, for findByAgent without a stamp read (changes only).
  const byAgent = new Map<string, { id: string; seen: number }>();
  const keyOf = (project: string, id: string) => `${project}\u0000${id}`;
  const matches = (definition: Pick<Definition, 'version' | 'createdAt' | 'updatedAt'>, stamp: DefinitionStamp) =>
    definition.version === stamp.version && definition.createdAt === stamp.createdAt && definition.updatedAt === stamp.updatedAt;

  function touch(key: string, entry: { definition: Definition; seen: number }): Definition {
    // Most recently used last, so the oldest is first to go.
    cache.delete(key);
    cache.set(key, entry);
    return entry.definition;
  }

  /** The cached definition when no change was made since it was read (changes only). */
  function unchanged(key: string): Definition | undefined {
    if (!changes) return undefined;
    const entry = cache.get(key);
    return entry && entry.seen === changes() ? touch(key, entry) : undefined;
  }

  async function current(project: string, stamp: DefinitionStamp, seen: number): Promise<Definition> {
    const key = keyOf(project, stamp.id);
    const cached = cache.get(key);
    if (cached && matches(cached.definition, stamp)) return touch(key, { definition: cached.definition, seen });
    cache.delete(key);
    const definition = await definitions.get(project, stamp.id);
    // The row and the steps are two reads: cached only when no change landed between them.
    const after = await definitions.stamp(project, stamp.id);
    if (after && matches(definition, after)) {
      cache.set(key, { definition, seen });
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    }
    return definition;
  }

  return {
    async get(project, id) {
      const hit = unchanged(keyOf(project, id));
      if (hit) return hit;
      // Taken before the reads: a change that lands during them leaves the entry behind the count.
      const seen = changes?.() ?? -1;
      const stamp = await definitions.stamp(project, id);
      if (!stamp) {
        cache.delete(keyOf(project, id));
        throw workflowNotFound(id);
      }
      return await current(project, stamp, seen);
    },
    async findByAgent(project, agent) {
      const agentKey = keyOf(project, agent);
      const known = byAgent.get(agentKey);
      const hit = known && changes && known.seen === changes() ? unchanged(keyOf(project, known.id)) : undefined;
      if (hit) return hit;
      const seen = changes?.() ?? -1;
      const stamp = await definitions.stampByAgent(project, agent);
      if (!stamp) return null;
      if (changes) {
        byAgent.delete(agentKey);
        byAgent.set(agentKey, { id: stamp.id, seen });
        if (byAgent.size > maxEntries) byAgent.delete(byAgent.keys().next().value as string);
      }
      return await current(project, stamp, seen);
    },
  };
}

// DefinitionRepository's reads: every other method may change a definition (one added later too).
const definitionReads = new Set<string>(['get', 'list', 'listSteps', 'findByAgent', 'stamp', 'stampByAgent']);

/**
 * The repository, counting the calls that may change a definition (counted once each settles,
 * failed ones too), for a store no other process writes (see StartDefinitionsOptions.changes).
 */
export function countDefinitionChanges(repository: DefinitionRepository): { repository: DefinitionRepository; changes: () => number } {
  let count = 0;
  const counted = new Proxy(repository, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || typeof key !== 'string' || definitionReads.has(key)) return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...args: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          count += 1;
        }
      };
    },
  });
  return { repository: counted, changes: () => count };
}
