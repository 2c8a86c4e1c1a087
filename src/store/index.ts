export { openStore, defaultPGliteDir, type Store, type StoreOptions } from './open-store.ts';
export type { DefinitionRepository } from './definitions.ts';
export type { DefinitionStepRepository } from './definition-steps.ts';
export type { AgentRepository, StoredAgent } from './agents.ts';
export type { SessionMemory } from './sessions.ts';
export { migrate, readMigrations } from './migrate.ts';
