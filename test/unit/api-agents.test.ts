import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEnv } from '../../api/env.ts';
import { handleError } from '../../api/middleware/error-handler.ts';
import { createAgentRoutes, type BuiltinAgent } from '../../api/routes/agents.ts';
import { agentPageSchema } from '../../api/routes/agent-manager-schemas.ts';
import { errorBodySchema } from '../../src/domain/errors.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';

// Every project may use CRM_SECRET and PARTNER_TOKEN; only `vault` may use VAULT_TOKEN.
const secrets = createProjectSecrets({ grants: new Map([['*', new Set(['CRM_SECRET', 'PARTNER_TOKEN'])], ['vault', new Set(['VAULT_TOKEN'])]]), env: {} });

// api/app.ts without auth: the project from a header, and the app's own onError.
function testApp(store: Store, builtins: BuiltinAgent[]) {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('project', c.req.header('x-project') ?? 'default');
    await next();
  });
  app.route('/api/v1', createAgentRoutes({ store, secrets, builtinAgents: () => builtins }));
  app.onError(handleError);
  return app;
}

const builtins: BuiltinAgent[] = [
  { id: 'web_agent', kind: 'function', description: 'Searches the web' },
  { id: 'echo', kind: 'function' },
];
let store: Store;
let app: ReturnType<typeof testApp>;
beforeAll(async () => {
  store = await openStore();
  app = testApp(store, builtins);
});
afterAll(async () => store?.close());

const project = () => `p-${randomBytes(5).toString('hex')}`;

async function call(method: string, path: string, options: { project: string; body?: unknown; raw?: string; contentType?: string }) {
  const headers: Record<string, string> = { 'x-project': options.project };
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  const response = await app.request(`/api/v1${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : undefined) as unknown };
}

const llm = { id: 'summarizer', kind: 'llm', description: 'Summarizes', config: { model: 'gpt-4o-mini', apiKeyEnv: 'OPENAI_API_KEY', tools: [{ name: 'http_request', requiresApproval: true }] } };
const http = { id: 'crm-hook', kind: 'http', config: { url: 'https://crm.example.com/hook', secretEnv: 'CRM_SECRET' } };

describe('Agent Manager agents', () => {
  it('lists built-in function agents first, then stored ones, in Spring pages', async () => {
    const p = project();
    expect((await call('POST', '/agents', { project: p, body: llm })).json).toEqual(llm);
    expect((await call('POST', '/agents', { project: p, body: http })).status).toBe(200);

    const all = await call('GET', '/agents', { project: p });
    expect(all.status).toBe(200);
    const page = agentPageSchema.parse(all.json);
    expect(page.content.map((a) => `${a.kind}:${a.id}`)).toEqual(['function:echo', 'function:web_agent', 'http:crm-hook', 'llm:summarizer']);
    expect(page).toMatchObject({ totalElements: 4, totalPages: 1 });
    expect(page.content[1]).toEqual({ id: 'web_agent', kind: 'function', description: 'Searches the web', config: {} });

    const second = await call('GET', '/agents?page=1&size=3', { project: p });
    const secondPage = agentPageSchema.parse(second.json);
    expect([secondPage.content.map((a) => a.id), secondPage.totalElements, secondPage.totalPages]).toEqual([['summarizer'], 4, 2]);
    expect(agentPageSchema.parse((await call('GET', '/agents', { project: project() })).json).totalElements).toBe(2);
  });

  it('documents every agent route in OpenAPI from the domain schemas', () => {
    const doc = createAgentRoutes({ store, secrets, builtinAgents: () => [] }).getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual(['/agents', '/agents/{id}']);
    expect(JSON.stringify(doc.paths?.['/agents']?.post)).toContain('apiKeyEnv');
  });

  it('reads, patches and deletes a stored agent', async () => {
    const p = project();
    await call('POST', '/agents', { project: p, body: llm });
    expect((await call('GET', '/agents/summarizer', { project: p })).json).toEqual(llm);
    expect((await call('GET', '/agents/web_agent', { project: p })).json).toMatchObject({ kind: 'function' });

    const patched = await call('PATCH', '/agents/summarizer', { project: p, body: { description: null, config: { model: 'gpt-4.1', maxTurns: 4 } } });
    expect(patched.json).toEqual({ ...llm, description: null, config: { ...llm.config, model: 'gpt-4.1', maxTurns: 4 } });
    expect((await call('DELETE', '/agents/summarizer', { project: p })).status).toBe(204);
    expect((await call('GET', '/agents/summarizer', { project: p })).status).toBe(404);
  });
});

describe('Agent Manager agents: PATCH is a JSON Merge Patch', () => {
  const assistant = {
    id: 'assistant', kind: 'llm', description: 'Answers',
    config: { model: 'gpt-4o-mini', system: 'You are terse.', temperature: 1, tools: [{ name: 'http_request', requiresApproval: true }, { name: 'calculator' }] },
  };
  const merge = (p: string, id: string, body: unknown) => call('PATCH', `/agents/${id}`, { project: p, body, contentType: 'application/merge-patch+json' });

  it('changes the temperature and keeps the system prompt and tools', async () => {
    const p = project();
    await call('POST', '/agents', { project: p, body: assistant });
    const patched = await merge(p, 'assistant', { config: { temperature: 0.2 } });
    expect(patched.status).toBe(200);
    expect(patched.json).toEqual({ ...assistant, config: { ...assistant.config, temperature: 0.2 } });
    expect(await store.agents.get(p, 'assistant')).toEqual(patched.json);
    // Sent as plain application/json, the same merge.
    expect((await call('PATCH', '/agents/assistant', { project: p, body: { config: { maxTurns: 3 } } })).json).toMatchObject({ config: { system: 'You are terse.', temperature: 0.2, maxTurns: 3 } });
  });

  it('removes a key given as null and replaces arrays whole', async () => {
    const p = project();
    await call('POST', '/agents', { project: p, body: assistant });
    const patched = await merge(p, 'assistant', { description: null, config: { system: null, tools: [{ name: 'calculator' }] } });
    expect(patched.json).toEqual({ id: 'assistant', kind: 'llm', description: null, config: { model: 'gpt-4o-mini', temperature: 1, tools: [{ name: 'calculator' }] } });
    expect(await store.agents.get(p, 'assistant')).toEqual(patched.json);
  });

  it('refuses a merge that makes the config invalid with 400 and the zod issues, changing nothing', async () => {
    const p = project();
    await call('POST', '/agents', { project: p, body: assistant });
    for (const [config, path] of [[{ temperature: 3 }, ['config', 'temperature']], [{ model: null }, ['config', 'model']], [{ tools: { name: 'calculator' } }, ['config', 'tools']]] as const) {
      const answer = await merge(p, 'assistant', { description: 'changed', config });
      expect(answer.status).toBe(400);
      const error = errorBodySchema.parse(answer.json).error;
      expect(error.code).toBe('invalid_request');
      expect(error.details).toEqual([expect.objectContaining({ path })]);
    }
    expect(await store.agents.get(p, 'assistant')).toEqual(assistant);
  });

  it('keeps a header reference through a merge and checks the merged config against the grants', async () => {
    const p = project();
    const partner = { id: 'partner', kind: 'http', description: null, config: { url: 'https://partner.example.com/hook', headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } };
    await call('POST', '/agents', { project: p, body: partner });
    const timed = await merge(p, 'partner', { config: { timeoutMs: 5000 } });
    expect(timed.json).toEqual({ ...partner, config: { ...partner.config, timeoutMs: 5000 } });
    // Merging into the reference changes only the field given.
    const prefixed = await merge(p, 'partner', { config: { headers: { Authorization: { prefix: 'Token ' } } } });
    expect(prefixed.json).toMatchObject({ config: { headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Token ' } } } });
    const before = await store.agents.get(p, 'partner');

    const ungranted = await merge(p, 'partner', { config: { headers: { Authorization: { secretEnv: 'VAULT_TOKEN' } } } });
    expect(ungranted.status).toBe(422);
    expect(errorBodySchema.parse(ungranted.json).error).toMatchObject({ code: 'secret_not_granted', details: { field: 'config.headers.Authorization.secretEnv', variable: 'VAULT_TOKEN' } });
    const plain = await merge(p, 'partner', { config: { headers: { Authorization: 'Bearer sk-live' } } });
    expect([plain.status, errorBodySchema.parse(plain.json).error.code]).toEqual([422, 'unprocessable']);
    expect(await store.agents.get(p, 'partner')).toEqual(before);
  });

  it('documents the merge semantics and both request content types in OpenAPI', () => {
    const doc = createAgentRoutes({ store, secrets, builtinAgents: () => [] }).getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const patch = doc.paths?.['/agents/{id}']?.patch;
    expect(Object.keys((patch?.requestBody as { content: object }).content).sort()).toEqual(['application/json', 'application/merge-patch+json']);
    expect(patch?.description).toContain('RFC 7396');
    expect(patch?.description).toContain('`null` removes a key');
  });
});

describe('Agent Manager agents: bad input changes nothing', () => {
  type Case = [label: string, method: string, path: string, body: { body?: unknown; raw?: string; contentType?: string }, status: number, code: string];
  const cases: Case[] = [
    ['malformed JSON', 'POST', '/agents', { raw: '{"id":"x",' }, 400, 'invalid_request'],
    ['a function agent', 'POST', '/agents', { body: { id: 'mine', kind: 'function', config: {} } }, 400, 'invalid_request'],
    ['an unknown kind', 'POST', '/agents', { body: { id: 'mine', kind: 'shell', config: {} } }, 400, 'invalid_request'],
    ['a missing id', 'POST', '/agents', { body: { kind: 'http', config: { url: 'https://x.example.com' } } }, 400, 'invalid_request'],
    ['an id that is not a slug', 'POST', '/agents', { body: { ...http, id: 'Bad Id' } }, 400, 'invalid_request'],
    ['an http agent without url', 'POST', '/agents', { body: { id: 'h', kind: 'http', config: {} } }, 400, 'invalid_request'],
    ['an llm agent without model', 'POST', '/agents', { body: { id: 'l', kind: 'llm', config: { temperature: 1 } } }, 400, 'invalid_request'],
    ['a temperature of the wrong type', 'POST', '/agents', { body: { id: 'l', kind: 'llm', config: { model: 'm', temperature: 'hot' } } }, 400, 'invalid_request'],
    ['a secret env name that is not an env name', 'POST', '/agents', { body: { id: 'l', kind: 'llm', config: { model: 'm', apiKeyEnv: 'sk-live-123' } } }, 400, 'invalid_request'],
    ['an oversize description', 'POST', '/agents', { body: { ...http, id: 'h2', description: 'd'.repeat(2001) } }, 400, 'invalid_request'],
    ['a duplicate id', 'POST', '/agents', { body: { ...http, kind: 'http' } }, 409, 'conflict'],
    ['the id of a function agent', 'POST', '/agents', { body: { ...http, id: 'web_agent' } }, 409, 'conflict'],
    ['an unknown agent', 'GET', '/agents/ghost', {}, 404, 'agent_not_found'],
    ['patching an unknown agent', 'PATCH', '/agents/ghost', { body: { description: 'x' } }, 404, 'agent_not_found'],
    ['deleting an unknown agent', 'DELETE', '/agents/ghost', {}, 404, 'agent_not_found'],
    ['patching a function agent', 'PATCH', '/agents/web_agent', { body: { description: 'x' } }, 409, 'conflict'],
    ['deleting a function agent', 'DELETE', '/agents/web_agent', {}, 409, 'conflict'],
    ['a config key of another kind of agent', 'PATCH', '/agents/crm-hook', { body: { config: { model: 'gpt' } } }, 400, 'invalid_request'],
    ['a patch removing a required config key', 'PATCH', '/agents/crm-hook', { body: { config: { url: null } } }, 400, 'invalid_request'],
    ['a patch removing the config', 'PATCH', '/agents/crm-hook', { body: { config: null } }, 400, 'invalid_request'],
    ['a patch with an unknown top-level key', 'PATCH', '/agents/crm-hook', { body: { settings: {} } }, 400, 'invalid_request'],
    ['a patch changing the kind', 'PATCH', '/agents/crm-hook', { body: { kind: 'llm', config: { model: 'gpt' } } }, 409, 'conflict'],
    ['a patch changing the id', 'PATCH', '/agents/crm-hook', { body: { id: 'other-hook' } }, 409, 'conflict'],
    ['a merge patch sent as text', 'PATCH', '/agents/crm-hook', { raw: '{"description":"x"}', contentType: 'text/plain' }, 415, 'invalid_request'],
    ['a patch without a body', 'PATCH', '/agents/crm-hook', {}, 400, 'invalid_request'],
    ['a config of the wrong type', 'PATCH', '/agents/crm-hook', { body: { config: 'https://x' } }, 400, 'invalid_request'],
    ['reading another project\'s agent', 'GET', '/agents/theirs', {}, 404, 'agent_not_found'],
    ['deleting another project\'s agent', 'DELETE', '/agents/theirs', {}, 404, 'agent_not_found'],
    ['a page size of zero', 'GET', '/agents?size=0', {}, 400, 'invalid_request'],
    ['an apiKeyEnv naming Baton\'s API keys', 'POST', '/agents', { body: { id: 'l', kind: 'llm', config: { model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'BATON_API_KEYS' } } }, 422, 'secret_not_granted'],
    ['an apiKeyEnv naming DATABASE_URL', 'POST', '/agents', { body: { id: 'l', kind: 'llm', config: { model: 'm', apiKeyEnv: 'DATABASE_URL' } } }, 422, 'secret_not_granted'],
    ['OPENAI_API_KEY sent to the agent\'s own baseUrl', 'POST', '/agents', { body: { id: 'l', kind: 'llm', config: { model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv: 'OPENAI_API_KEY' } } }, 422, 'secret_not_granted'],
    ['a secretEnv not granted to the project', 'POST', '/agents', { body: { ...http, id: 'h3', config: { ...http.config, secretEnv: 'VAULT_TOKEN' } } }, 422, 'secret_not_granted'],
    ['a header reference not granted to the project', 'POST', '/agents', { body: { id: 'h3', kind: 'http', config: { url: 'https://x.example.com', headers: { Authorization: { secretEnv: 'VAULT_TOKEN', prefix: 'Bearer ' } } } } }, 422, 'secret_not_granted'],
    ['a plain-text Authorization header', 'POST', '/agents', { body: { id: 'h3', kind: 'http', config: { url: 'https://x.example.com', headers: { Authorization: 'Bearer sk-live' } } } }, 422, 'unprocessable'],
    ['a plain-text header named like a token', 'POST', '/agents', { body: { id: 'h3', kind: 'http', config: { url: 'https://x.example.com', headers: { 'X-Partner-Token': 'abc' } } } }, 422, 'unprocessable'],
    ['a header reference with extra fields', 'POST', '/agents', { body: { id: 'h3', kind: 'http', config: { url: 'https://x.example.com', headers: { Cookie: { secretEnv: 'CRM_SECRET', value: 'x' } } } } }, 400, 'invalid_request'],
    ['patching in an ungranted apiKeyEnv', 'PATCH', '/agents/crm-hook', { body: { config: { url: 'https://x.example.com', secretEnv: 'TEMPORAL_API_KEY' } } }, 422, 'secret_not_granted'],
    ['patching in a plain-text cookie', 'PATCH', '/agents/crm-hook', { body: { config: { url: 'https://x.example.com', headers: { cookie: 'session=1' } } } }, 422, 'unprocessable'],
  ];

  it.each(cases)('answers %s with the documented error', async (_label, method, path, body, status, code) => {
    const p = project();
    const other = project();
    await call('POST', '/agents', { project: p, body: http });
    await call('POST', '/agents', { project: other, body: { ...http, id: 'theirs' } });
    const before = [await store.agents.list(p), await store.agents.list(other)];

    const answer = await call(method, path, { project: p, ...body });
    expect(answer.status).toBe(status);
    expect(errorBodySchema.parse(answer.json).error.code).toBe(code);

    expect([await store.agents.list(p), await store.agents.list(other)]).toEqual(before);
  });
});

describe('Agent Manager agents: secrets', () => {
  it('names the refused variable in the 422 message', async () => {
    for (const apiKeyEnv of ['BATON_API_KEYS', 'DATABASE_URL', 'VAULT_TOKEN']) {
      const answer = await call('POST', '/agents', { project: project(), body: { id: 'thief', kind: 'llm', config: { model: 'm', baseUrl: 'http://127.0.0.1:9/v1', apiKeyEnv } } });
      expect(answer.status).toBe(422);
      expect(errorBodySchema.parse(answer.json).error).toMatchObject({ code: 'secret_not_granted', message: expect.stringContaining(apiKeyEnv) as unknown, details: { field: 'config.apiKeyEnv', variable: apiKeyEnv } });
    }
  });

  it('stores header references and shows only the variable name', async () => {
    const p = project();
    const agent = { id: 'partner', kind: 'http', config: { url: 'https://partner.example.com/hook', headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } };
    expect((await call('POST', '/agents', { project: p, body: agent })).json).toEqual({ ...agent, description: null });
    expect((await call('GET', '/agents/partner', { project: p })).json).toEqual({ ...agent, description: null });
    const vault = await call('POST', '/agents', { project: 'vault', body: { ...agent, id: `v-${p}`, config: { ...agent.config, secretEnv: 'VAULT_TOKEN' } } });
    expect(vault.status).toBe(200);
  });

  it('redacts a plain credential header of an agent stored before references existed, and a config patch must replace it with a reference', async () => {
    const p = project();
    // Written straight to the store, as rows from before this check were.
    await store.agents.create(p, { id: 'legacy', kind: 'http', config: { url: 'https://legacy.example.com', headers: { 'X-Team': 'ops', Authorization: 'Bearer sk-legacy-secret' } } });
    const shown = await call('GET', '/agents/legacy', { project: p });
    expect(shown.json).toMatchObject({ config: { headers: { 'X-Team': 'ops', Authorization: '[redacted]' } } });
    expect(JSON.stringify((await call('GET', '/agents', { project: p })).json)).not.toContain('sk-legacy-secret');
    // A description-only patch leaves the config as it is, still not shown.
    const described = await call('PATCH', '/agents/legacy', { project: p, body: { description: 'old hook' } });
    expect(described.status).toBe(200);
    expect(JSON.stringify(described.json)).not.toContain('sk-legacy-secret');
    // A config patch that leaves the plain header in the merged config is refused, naming it.
    const timed = await call('PATCH', '/agents/legacy', { project: p, body: { config: { timeoutMs: 1000 } } });
    expect([timed.status, errorBodySchema.parse(timed.json).error.details]).toEqual([422, { field: 'config.headers.Authorization' }]);
    // Sending the redacted value back is a plain-text credential: refused.
    const resent = await call('PATCH', '/agents/legacy', { project: p, body: { config: (shown.json as { config: unknown }).config } });
    expect([resent.status, errorBodySchema.parse(resent.json).error.code]).toEqual([422, 'unprocessable']);
    expect((await store.agents.get(p, 'legacy')).config).toEqual({ url: 'https://legacy.example.com', headers: { 'X-Team': 'ops', Authorization: 'Bearer sk-legacy-secret' } });
    // Replacing just that header with a reference keeps the rest of the config.
    const fixed = await call('PATCH', '/agents/legacy', { project: p, body: { config: { timeoutMs: 1000, headers: { Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } } });
    expect(fixed.status).toBe(200);
    expect(fixed.json).toMatchObject({ config: { url: 'https://legacy.example.com', timeoutMs: 1000, headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' } } } });
    expect(JSON.stringify(await store.agents.get(p, 'legacy'))).not.toContain('sk-legacy-secret');
  });

  it('lets a patch remove a legacy plain credential header with null', async () => {
    const p = project();
    await store.agents.create(p, { id: 'legacy', kind: 'http', config: { url: 'https://legacy.example.com', headers: { 'X-Team': 'ops', Cookie: 'session=sk-legacy' } } });
    const removed = await call('PATCH', '/agents/legacy', { project: p, body: { config: { headers: { Cookie: null } } } });
    expect(removed.json).toMatchObject({ config: { url: 'https://legacy.example.com', headers: { 'X-Team': 'ops' } } });
    expect(JSON.stringify(await store.agents.get(p, 'legacy'))).not.toContain('sk-legacy');
  });

  it('documents header references and the 422 in OpenAPI', () => {
    const doc = createAgentRoutes({ store, secrets, builtinAgents: () => [] }).getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const post = JSON.stringify(doc.paths?.['/agents']?.post);
    expect(post).toContain('secret_not_granted');
    expect(post).toContain('prefix');
    expect(JSON.stringify(doc.paths?.['/agents/{id}']?.patch)).toContain('secret_not_granted');
  });
});
