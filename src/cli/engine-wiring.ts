import type { Client } from '@temporalio/client';
import type { MountedRoutes } from '../../api/app.ts';
import type { Config } from '../config.ts';

/** What the engine adds to a runtime: the pieces that live outside the foundation. */
export interface EngineParts {
  /** Activity implementations for the worker, e.g. `createActivities({ store, ... })`. */
  activities?: object;
  /** Resource sub-apps mounted under `/v1` and `/api/v1`, after auth. */
  routes?: MountedRoutes[];
  /** Resolves when the store answers; /readyz reports it as `store`. */
  storeCheck?: () => Promise<unknown>;
  /** Runs on shutdown after the worker and API have stopped (e.g. closing the store). */
  close?: () => Promise<void>;
}

export interface EngineContext {
  config: Config;
  client: Client;
  log: (line: string) => void;
}

/**
 * The one place where the store, the activities and the API resources are composed into a runtime;
 * `baton start`, `baton api` and `baton worker` all come through here. The foundation alone runs
 * the workflow code with no activities and no resource routes.
 */
export async function wireEngine(_context: EngineContext): Promise<EngineParts> {
  return {};
}
