import { egressPolicyFromEnv, type EgressPolicy } from '../../security/egress-policy.ts';
import { calculatorTool } from './calculator.ts';
import { createHttpRequestTool, httpToolAllowEnv, parseHostAllowList } from './http-request.ts';
import { jsonPathTool } from './json-path.ts';
import { createToolRegistry, type ToolRegistry } from './tool-registry.ts';

export interface BuiltInToolsOptions {
  env: Record<string, string | undefined>;
  /** Where http_request may go (default: the policy of env's BATON_EGRESS_ALLOW); BATON_HTTP_TOOL_ALLOW narrows it. */
  egress?: EgressPolicy;
}

/**
 * A registry holding Baton's built-in tools (calculator, http_request, json_path); the worker
 * registers its own TypeScript tools on the returned registry.
 */
export function createBuiltInToolRegistry({ env, egress }: BuiltInToolsOptions): ToolRegistry {
  return createToolRegistry()
    .register(calculatorTool)
    .register(createHttpRequestTool({ allowList: parseHostAllowList(env[httpToolAllowEnv]), egress: egress ?? egressPolicyFromEnv(env) }))
    .register(jsonPathTool);
}
