import { describe, expect, it } from 'vitest';
import { agentSecretReferences, isCredentialHeader, redactAgentSecrets } from '../../src/security/agent-secret-references.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';

const env = { PARTNER_TOKEN: ' partner-1 ', SHARED_KEY: 'shared', BLANK_TOKEN: '  ', BATON_API_KEYS: 'k:alpha', PGPASSWORD: 'pg' };
// The map may name reserved variables only here: loadConfig refuses to build such grants.
const secrets = createProjectSecrets({
  grants: new Map([['alpha', new Set(['PARTNER_TOKEN', 'BLANK_TOKEN', 'MISSING_TOKEN', 'BATON_API_KEYS', 'PGPASSWORD'])], ['*', new Set(['SHARED_KEY'])]]),
  env,
});

describe('createProjectSecrets', () => {
  it('resolves a variable granted to the project or to every project, trimmed', () => {
    expect(secrets.resolve('alpha', 'PARTNER_TOKEN')).toEqual({ granted: true, variable: 'PARTNER_TOKEN', value: 'partner-1' });
    expect(secrets.resolve('beta', 'SHARED_KEY')).toEqual({ granted: true, variable: 'SHARED_KEY', value: 'shared' });
  });

  it('resolves a granted variable that is unset or blank to no value, for the caller to name', () => {
    expect(secrets.resolve('alpha', 'BLANK_TOKEN')).toEqual({ granted: true, variable: 'BLANK_TOKEN', value: undefined });
    expect(secrets.resolve('alpha', 'MISSING_TOKEN')).toEqual({ granted: true, variable: 'MISSING_TOKEN', value: undefined });
  });

  it('refuses another project\'s variable and Baton\'s own configuration, even when a grant names it', () => {
    expect(secrets.resolve('beta', 'PARTNER_TOKEN')).toEqual({
      granted: false,
      refusal: {
        code: 'secret_not_granted', reason: 'not_granted', project: 'beta', variable: 'PARTNER_TOKEN',
        message: 'PARTNER_TOKEN is not granted to project "beta"; the operator grants it with BATON_PROJECT_SECRETS=beta:PARTNER_TOKEN',
      },
    });
    for (const variable of ['BATON_API_KEYS', 'PGPASSWORD', 'DATABASE_URL', 'TEMPORAL_API_KEY', 'OPENAI_BASE_URL', 'HOST']) {
      const resolved = secrets.resolve('alpha', variable);
      expect(resolved).toMatchObject({ granted: false, refusal: { reason: 'reserved', variable } });
      expect(JSON.stringify(resolved)).not.toMatch(/k:alpha|"pg"/);
    }
  });
});

describe('agent secret references', () => {
  it('treats authorization, cookies, API keys and names with token/secret/key/auth/password as credential headers', () => {
    for (const name of ['Authorization', 'proxy-authorization', 'Cookie', 'X-API-KEY', 'X-Partner-Token', 'X-Client-Secret', 'X-Auth-User', 'Db-Password', 'Idempotency-Key']) {
      expect([name, isCredentialHeader(name)]).toEqual([name, true]);
    }
    for (const name of ['X-Team', 'Accept-Language', 'X-Request-Id', 'User-Agent']) expect([name, isCredentialHeader(name)]).toEqual([name, false]);
  });

  it('lists every variable an agent reads that needs a grant, with the field naming it', () => {
    expect(agentSecretReferences({ kind: 'http', config: { url: 'https://x', secretEnv: 'HOOK_SECRET', headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } })).toEqual([
      { field: 'config.secretEnv', variable: 'HOOK_SECRET' },
      { field: 'config.headers.Authorization.secretEnv', variable: 'PARTNER_TOKEN' },
    ]);
    expect(agentSecretReferences({ kind: 'llm', config: { model: 'm', apiKeyEnv: 'OLLAMA_KEY' } })).toEqual([{ field: 'config.apiKeyEnv', variable: 'OLLAMA_KEY' }]);
    // The operator's key with the operator's endpoint needs no grant; with the agent's own endpoint it does.
    expect(agentSecretReferences({ kind: 'llm', config: { model: 'm', apiKeyEnv: 'OPENAI_API_KEY' } })).toEqual([]);
    expect(agentSecretReferences({ kind: 'llm', config: { model: 'm', baseUrl: 'http://x/v1', apiKeyEnv: 'OPENAI_API_KEY' } })).toEqual([{ field: 'config.apiKeyEnv', variable: 'OPENAI_API_KEY' }]);
  });

  it('redacts plain credential headers and keeps references and other headers as they are', () => {
    const agent = { id: 'a', kind: 'http' as const, description: null, config: { url: 'https://x', headers: { 'X-Team': 'ops', Cookie: 'sid=1', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } };
    expect(redactAgentSecrets(agent).config.headers).toEqual({ 'X-Team': 'ops', Cookie: '[redacted]', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } });
    expect(agent.config.headers.Cookie).toBe('sid=1');
  });
});
