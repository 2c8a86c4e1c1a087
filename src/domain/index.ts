export * from './duration.ts';
export * from './ids.ts';
export * from './step.ts';
export * from './definition.ts';
export * from './pending-action.ts';
export * from './run.ts';
export * from './agent.ts';
export * from './errors.ts';
