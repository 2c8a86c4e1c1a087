import { ApplicationFailure } from '@temporalio/common';
import { secretRefusalFailure, type ProjectSecrets } from '../../security/project-secrets.ts';

export const defaultApiKeyEnv = 'OPENAI_API_KEY';
export const baseUrlEnv = 'OPENAI_BASE_URL';
// Local servers (Ollama, vLLM) take no key, but the openai client insists on one.
const keylessPlaceholder = 'baton-no-key';

export interface ModelEndpoint {
  baseURL: string;
  apiKey: string;
  /** Where the key came from, for error messages; never the key itself. */
  apiKeyEnv: string;
  hasKey: boolean;
}

export interface ModelEndpointDeps {
  /** The worker's environment: OPENAI_BASE_URL and OPENAI_API_KEY, the operator's default model. */
  env: Record<string, string | undefined>;
  /** Every other key variable is read through the project's grants. */
  secrets: ProjectSecrets;
}

/**
 * The variable an llm agent's key comes from that its project must be granted, if any. The
 * operator's OPENAI_API_KEY needs no grant while it goes to the operator's OPENAI_BASE_URL.
 */
export function grantedKeyVariable(agent: { baseUrl?: string | undefined; apiKeyEnv?: string | undefined }): string | undefined {
  if (agent.apiKeyEnv === undefined) return undefined;
  return agent.apiKeyEnv === defaultApiKeyEnv && agent.baseUrl === undefined ? undefined : agent.apiKeyEnv;
}

/**
 * Resolves an llm agent's endpoint: config.baseUrl, else OPENAI_BASE_URL. The key: the variable
 * named by config.apiKeyEnv when the project is granted it; else OPENAI_API_KEY for
 * OPENAI_BASE_URL; an agent's own baseUrl gets OPENAI_API_KEY only when that is granted too.
 * A missing setting or a refused grant is a configuration error no retry can fix, so it fails
 * non-retryably and names the variable (never its value).
 */
export function resolveModelEndpoint(
  agent: { agentId: string; project?: string | undefined; baseUrl?: string | undefined; apiKeyEnv?: string | undefined },
  deps: ModelEndpointDeps,
): ModelEndpoint {
  const { env, secrets } = deps;
  const baseURL = agent.baseUrl ?? nonEmpty(env[baseUrlEnv]);
  if (!baseURL) {
    throw ApplicationFailure.create({
      type: 'model_not_configured',
      nonRetryable: true,
      message: `llm agent "${agent.agentId}" has no model endpoint: set ${baseUrlEnv} (or the agent's config.baseUrl), and its API key in ${agent.apiKeyEnv ?? defaultApiKeyEnv} unless the server needs none`,
    });
  }
  // A call scheduled before requests carried the project belongs to no project: only `*` grants apply.
  const project = agent.project ?? '(unknown)';

  const keyVariable = grantedKeyVariable(agent);
  if (keyVariable !== undefined) {
    const resolved = secrets.resolve(project, keyVariable);
    if (!resolved.granted) throw secretRefusalFailure(resolved.refusal, agent.agentId);
    if (resolved.value === undefined) throw keyNotSet(agent.agentId, keyVariable);
    return { baseURL, apiKey: resolved.value, apiKeyEnv: keyVariable, hasKey: true };
  }

  if (agent.baseUrl === undefined) {
    const apiKey = nonEmpty(env[defaultApiKeyEnv]);
    if (!apiKey && agent.apiKeyEnv) throw keyNotSet(agent.agentId, defaultApiKeyEnv);
    return { baseURL, apiKey: apiKey ?? keylessPlaceholder, apiKeyEnv: defaultApiKeyEnv, hasKey: apiKey !== undefined };
  }

  // The agent's own endpoint: the operator's default key goes there only when granted to the project.
  const fallback = secrets.resolve(project, defaultApiKeyEnv);
  if (fallback.granted && fallback.value !== undefined) return { baseURL, apiKey: fallback.value, apiKeyEnv: defaultApiKeyEnv, hasKey: true };
  return { baseURL, apiKey: keylessPlaceholder, apiKeyEnv: 'config.apiKeyEnv', hasKey: false };
}

function keyNotSet(agentId: string, variable: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: 'model_not_configured',
    nonRetryable: true,
    message: `llm agent "${agentId}" reads its API key from ${variable}, which is not set in the worker's environment`,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
