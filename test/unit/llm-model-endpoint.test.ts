import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { resolveModelEndpoint } from '../../src/agents/llm/model-endpoint.ts';

describe('resolveModelEndpoint', () => {
  it('prefers the agent baseUrl and apiKeyEnv over OPENAI_BASE_URL and OPENAI_API_KEY', () => {
    const env = { OPENAI_BASE_URL: 'http://env/v1', OPENAI_API_KEY: 'env-key', OLLAMA_KEY: 'agent-key' };
    expect(resolveModelEndpoint({ agentId: 'a' }, env)).toEqual({ baseURL: 'http://env/v1', apiKey: 'env-key', apiKeyEnv: 'OPENAI_API_KEY', hasKey: true });
    expect(resolveModelEndpoint({ agentId: 'a', baseUrl: 'http://agent/v1', apiKeyEnv: 'OLLAMA_KEY' }, env))
      .toEqual({ baseURL: 'http://agent/v1', apiKey: 'agent-key', apiKeyEnv: 'OLLAMA_KEY', hasKey: true });
  });

  it('works without a key for local servers (Ollama, vLLM)', () => {
    expect(resolveModelEndpoint({ agentId: 'a' }, { OPENAI_BASE_URL: 'http://localhost:11434/v1', OPENAI_API_KEY: ' ' }))
      .toMatchObject({ baseURL: 'http://localhost:11434/v1', hasKey: false, apiKeyEnv: 'OPENAI_API_KEY' });
  });

  it('fails non-retryably naming the variables when no endpoint is configured', () => {
    for (const env of [{}, { OPENAI_BASE_URL: '' }]) {
      const error = (() => { try { resolveModelEndpoint({ agentId: 'writer', apiKeyEnv: 'MY_KEY' }, env); } catch (e) { return e; } })();
      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({
        type: 'model_not_configured', nonRetryable: true,
        message: 'llm agent "writer" has no model endpoint: set OPENAI_BASE_URL (or the agent\'s config.baseUrl), and its API key in MY_KEY unless the server needs none',
      });
    }
  });

  it('fails non-retryably when the agent names a key variable that is not set', () => {
    expect(() => resolveModelEndpoint({ agentId: 'writer', apiKeyEnv: 'MY_KEY' }, { OPENAI_BASE_URL: 'http://x/v1' }))
      .toThrow('llm agent "writer" reads its API key from MY_KEY, which is not set in the worker\'s environment');
  });
});
