import { ApplicationFailure } from '@temporalio/common';

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

/**
 * Resolves an llm agent's endpoint: config.baseUrl, else OPENAI_BASE_URL; the key from the
 * variable named by config.apiKeyEnv, else OPENAI_API_KEY. A missing setting is a configuration
 * error no retry can fix, so it fails non-retryably and names the variable to set.
 */
export function resolveModelEndpoint(
  agent: { agentId: string; baseUrl?: string | undefined; apiKeyEnv?: string | undefined },
  env: Record<string, string | undefined>,
): ModelEndpoint {
  const apiKeyEnv = agent.apiKeyEnv ?? defaultApiKeyEnv;
  const baseURL = agent.baseUrl ?? nonEmpty(env[baseUrlEnv]);
  if (!baseURL) {
    throw ApplicationFailure.create({
      type: 'model_not_configured',
      nonRetryable: true,
      message: `llm agent "${agent.agentId}" has no model endpoint: set ${baseUrlEnv} (or the agent's config.baseUrl), and its API key in ${apiKeyEnv} unless the server needs none`,
    });
  }
  const apiKey = nonEmpty(env[apiKeyEnv]);
  if (!apiKey && agent.apiKeyEnv) {
    throw ApplicationFailure.create({
      type: 'model_not_configured',
      nonRetryable: true,
      message: `llm agent "${agent.agentId}" reads its API key from ${apiKeyEnv}, which is not set in the worker's environment`,
    });
  }
  return { baseURL, apiKey: apiKey ?? keylessPlaceholder, apiKeyEnv, hasKey: apiKey !== undefined };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
