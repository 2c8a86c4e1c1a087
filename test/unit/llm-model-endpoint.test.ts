import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { resolveModelEndpoint } from '../../src/agents/llm/model-endpoint.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';

const env = {
  OPENAI_BASE_URL: 'http://env/v1', OPENAI_API_KEY: 'env-key', OLLAMA_KEY: 'agent-key', SHARED_KEY: 'shared-key',
  BATON_API_KEYS: 'key-a:alpha,key-b:beta', DATABASE_URL: 'postgres://u:pw@db/x',
};
const grants = new Map([['alpha', new Set(['OLLAMA_KEY'])], ['beta', new Set(['OPENAI_API_KEY'])], ['*', new Set(['SHARED_KEY'])]]);
const deps = (over: Record<string, string | undefined> = env) => ({ env: over, secrets: createProjectSecrets({ grants, env: over }) });

function failureOf(work: () => unknown): ApplicationFailure {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

describe('resolveModelEndpoint', () => {
  it('prefers the agent baseUrl and its granted apiKeyEnv over OPENAI_BASE_URL and OPENAI_API_KEY', () => {
    expect(resolveModelEndpoint({ agentId: 'a', project: 'alpha' }, deps())).toEqual({ baseURL: 'http://env/v1', apiKey: 'env-key', apiKeyEnv: 'OPENAI_API_KEY', hasKey: true });
    expect(resolveModelEndpoint({ agentId: 'a', project: 'alpha', baseUrl: 'http://agent/v1', apiKeyEnv: 'OLLAMA_KEY' }, deps()))
      .toEqual({ baseURL: 'http://agent/v1', apiKey: 'agent-key', apiKeyEnv: 'OLLAMA_KEY', hasKey: true });
    expect(resolveModelEndpoint({ agentId: 'a', project: 'gamma', apiKeyEnv: 'SHARED_KEY' }, deps())).toMatchObject({ apiKey: 'shared-key', hasKey: true });
  });

  it('uses OPENAI_API_KEY without a grant only with OPENAI_BASE_URL', () => {
    expect(resolveModelEndpoint({ agentId: 'a', project: 'gamma', apiKeyEnv: 'OPENAI_API_KEY' }, deps())).toMatchObject({ baseURL: 'http://env/v1', apiKey: 'env-key' });
    const own = failureOf(() => resolveModelEndpoint({ agentId: 'a', project: 'gamma', baseUrl: 'http://evil/v1', apiKeyEnv: 'OPENAI_API_KEY' }, deps()));
    expect([own.type, own.nonRetryable, own.message]).toEqual(['secret_not_granted', true, 'agent "a": OPENAI_API_KEY is not granted to project "gamma"; the operator grants it with BATON_PROJECT_SECRETS=gamma:OPENAI_API_KEY']);
  });

  it('never sends OPENAI_API_KEY to an agent\'s own baseUrl unless the project is granted it', () => {
    expect(resolveModelEndpoint({ agentId: 'a', project: 'alpha', baseUrl: 'http://evil/v1' }, deps()))
      .toEqual({ baseURL: 'http://evil/v1', apiKey: 'baton-no-key', apiKeyEnv: 'config.apiKeyEnv', hasKey: false });
    expect(resolveModelEndpoint({ agentId: 'a', project: 'beta', baseUrl: 'http://mine/v1' }, deps()))
      .toEqual({ baseURL: 'http://mine/v1', apiKey: 'env-key', apiKeyEnv: 'OPENAI_API_KEY', hasKey: true });
  });

  it('refuses reserved, ungranted and other projects\' variables, naming the variable and never a value', () => {
    for (const [project, apiKeyEnv, reason] of [['alpha', 'BATON_API_KEYS', 'reserved'], ['alpha', 'DATABASE_URL', 'reserved'], ['beta', 'OLLAMA_KEY', 'not_granted'], ['alpha', 'UNSET_KEY', 'not_granted']] as const) {
      const failure = failureOf(() => resolveModelEndpoint({ agentId: 'thief', project, baseUrl: 'http://evil/v1', apiKeyEnv }, deps()));
      expect([failure.type, failure.nonRetryable]).toEqual(['secret_not_granted', true]);
      expect(failure.message).toContain(apiKeyEnv);
      expect(failure.message).not.toMatch(/key-a|pw@|agent-key/);
      expect(failure.details).toEqual([{ variable: apiKeyEnv, project, reason }]);
    }
  });

  it('refuses a call without a project (scheduled before calls carried one) unless the grant is for every project', () => {
    expect(failureOf(() => resolveModelEndpoint({ agentId: 'a', apiKeyEnv: 'OLLAMA_KEY' }, deps())).type).toBe('secret_not_granted');
    expect(resolveModelEndpoint({ agentId: 'a', apiKeyEnv: 'SHARED_KEY' }, deps())).toMatchObject({ apiKey: 'shared-key' });
  });

  it('works without a key for local servers (Ollama, vLLM)', () => {
    expect(resolveModelEndpoint({ agentId: 'a', project: 'alpha' }, deps({ OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_API_KEY: ' ' })))
      .toMatchObject({ baseURL: 'http://localhost:11434/v1', hasKey: false, apiKeyEnv: 'OPENAI_API_KEY' });
  });

  it('fails non-retryably naming the variables when no endpoint is configured', () => {
    for (const bare of [{}, { OPENAI_BASE_URL: '' }]) {
      const error = failureOf(() => resolveModelEndpoint({ agentId: 'writer', project: 'alpha', apiKeyEnv: 'MY_KEY' }, deps(bare)));
      expect(error).toMatchObject({
        type: 'model_not_configured', nonRetryable: true,
        message: 'llm agent "writer" has no model endpoint: set OPENAI_BASE_URL (or the agent\'s config.baseUrl), and its API key in MY_KEY unless the server needs none',
      });
    }
  });

  it('fails non-retryably when the agent names a granted key variable that is not set', () => {
    const bare = { OPENAI_BASE_URL: 'http://x/v1' };
    expect(() => resolveModelEndpoint({ agentId: 'writer', project: 'alpha', apiKeyEnv: 'OLLAMA_KEY' }, deps(bare)))
      .toThrow('llm agent "writer" reads its API key from OLLAMA_KEY, which is not set in the worker\'s environment');
    expect(() => resolveModelEndpoint({ agentId: 'writer', project: 'alpha', apiKeyEnv: 'OPENAI_API_KEY' }, deps(bare)))
      .toThrow('llm agent "writer" reads its API key from OPENAI_API_KEY, which is not set in the worker\'s environment');
  });
});
