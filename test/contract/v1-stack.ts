// What the v1 contract tests share: Baton as `baton start` composes it (baton-stack.ts) with three
// projects, each with its API key and, as the runtime loads it at start, the lead-router example
// published; and an SDK client per project against the listening API.
import { createClient, type BatonClient } from '../../src/sdk/index.ts';
import { startBatonStack, testMaxBodyBytes, type BatonStack, type BatonStackOptions } from '../integration/baton-stack.ts';
import { uniqueProject } from '../integration/engine-harness.ts';

export { testMaxBodyBytes };

export interface V1Stack extends BatonStack {
  /** Three projects, each with its API key `key-<project>` and the lead-router example published. */
  projects: [string, string, string];
  /** An SDK client holding the API key of `projects[index]`. */
  sdk(index?: number): BatonClient;
}

export async function startV1Stack(name: string, options: Pick<BatonStackOptions, 'database' | 'roles' | 'env'> = {}): Promise<V1Stack> {
  const projects: [string, string, string] = [uniqueProject(`${name}-a`), uniqueProject(`${name}-b`), uniqueProject(`${name}-c`)];
  const stack = await startBatonStack({ name, projects, ...options });
  return {
    ...stack,
    projects,
    sdk: (index = 0) => createClient({ baseUrl: stack.url, apiKey: stack.keyOf(projects[index]!) }),
  };
}
