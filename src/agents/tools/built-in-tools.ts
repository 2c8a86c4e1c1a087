import { calculatorTool } from './calculator.ts';
import { createHttpRequestTool, httpToolAllowEnv, parseHostAllowList } from './http-request.ts';
import { jsonPathTool } from './json-path.ts';
import { createToolRegistry, type ToolRegistry } from './tool-registry.ts';

export interface BuiltInToolsOptions {
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

/**
 * A registry holding Baton's built-in tools (calculator, http_request, json_path); the worker
 * registers its own TypeScript tools on the returned registry.
 */
export function createBuiltInToolRegistry({ env, fetch }: BuiltInToolsOptions): ToolRegistry {
  return createToolRegistry()
    .register(calculatorTool)
    .register(createHttpRequestTool({ allowList: parseHostAllowList(env[httpToolAllowEnv]), ...(fetch ? { fetch } : {}) }))
    .register(jsonPathTool);
}
