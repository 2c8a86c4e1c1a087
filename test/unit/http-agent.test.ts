import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentContext } from '../../src/domain/agent.ts';
import { callHttpAgent, signBatonRequest, verifyBatonSignature, type HttpAgentConfig } from '../../src/agents/http-agent.ts';
import { egressPolicyFromEnv } from '../../src/security/egress-policy.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';

const context: AgentContext = {
  runId: 'wfr_http1', project: 'default', step: 'classify', task: 'Route the lead', state: { leadId: 'lead-123' },
  input: { text: 'hello' }, action: 'Classify it', steps: {}, sessionId: 'ses-1', session: [],
};
const secret = 'shh-its-a-secret';
const env = { AGENT_SECRET: secret, PARTNER_TOKEN: 'partner-123', BATON_API_KEYS: 'key-a:alpha', OTHER_TEAM_TOKEN: 'other-456' };
// BATON_API_KEYS is listed to show that a reserved name stays refused even when a grant names it.
const secrets = createProjectSecrets({ grants: new Map([['default', new Set(['AGENT_SECRET', 'NOT_SET_SECRET', 'PARTNER_TOKEN', 'BATON_API_KEYS'])], ['other', new Set(['OTHER_TEAM_TOKEN'])]]), env });
// The test receiver listens on loopback, which the egress policy refuses unless listed.
const egress = egressPolicyFromEnv({ BATON_EGRESS_ALLOW: '127.0.0.1' });

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end();
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
});
afterAll(() => new Promise<void>((resolve) => {
  server.closeAllConnections();
  server.close(() => resolve());
}));

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('baton signatures', () => {
  it('verifies its own signature and rejects tampering, other secrets, stale or missing parts', () => {
    const now = 1_700_000_000_000;
    const ts = String(now / 1000);
    const header = signBatonRequest(secret, ts, '{"a":1}');
    expect(header).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyBatonSignature(secret, ts, '{"a":1}', header, { nowMs: now })).toBe(true);
    expect(verifyBatonSignature(secret, ts, '{"a":2}', header, { nowMs: now })).toBe(false);
    expect(verifyBatonSignature('other', ts, '{"a":1}', header, { nowMs: now })).toBe(false);
    expect(verifyBatonSignature(secret, String(now / 1000 + 1), '{"a":1}', header, { nowMs: now })).toBe(false);
    expect(verifyBatonSignature(secret, ts, '{"a":1}', header, { nowMs: now + 301_000 })).toBe(false);
    expect(verifyBatonSignature(secret, ts, '{"a":1}', header, { nowMs: now + 301_000, toleranceSeconds: 600 })).toBe(true);
    expect(verifyBatonSignature(secret, ts, '{"a":1}', header.slice(0, -1), { nowMs: now })).toBe(false);
    expect(verifyBatonSignature(secret, undefined, '{"a":1}', header)).toBe(false);
    expect(verifyBatonSignature(secret, ts, '{"a":1}', null)).toBe(false);
    expect(verifyBatonSignature(secret, 'abc', '{"a":1}', header)).toBe(false);
  });
});

describe('callHttpAgent', () => {
  it('POSTs the signed step context with the configured headers and returns the JSON answer', async () => {
    let received: { headers: IncomingMessage['headers']; body: string } | undefined;
    handler = (req, body, res) => {
      received = { headers: req.headers, body };
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"category":"enterprise"}');
    };
    const callBegan = Math.floor(Date.now() / 1000);
    const output = await callHttpAgent({ agentId: 'router', config: { url, secretEnv: 'AGENT_SECRET', headers: { 'x-team': 'sales' } }, context }, { secrets, egress });
    expect(output).toEqual({ category: 'enterprise' });
    expect(JSON.parse(received!.body)).toEqual(context);
    expect(received!.headers).toMatchObject({ 'content-type': 'application/json', 'x-team': 'sales', 'x-baton-run-id': 'wfr_http1', 'x-baton-step': 'classify' });
    const ts = received!.headers['x-baton-timestamp'] as string;
    // Stamped while the call ran: no earlier than it began, no later than now.
    expect(Number(ts)).toBeGreaterThanOrEqual(callBegan);
    expect(Number(ts)).toBeLessThanOrEqual(Date.now() / 1000);
    expect(verifyBatonSignature(secret, ts, received!.body, received!.headers['x-baton-signature'] as string)).toBe(true);
  });

  it('sends header references as prefix + the granted secret, and plain headers as they are', async () => {
    let headers: IncomingMessage['headers'] = {};
    handler = (req, _body, res) => {
      headers = req.headers;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    };
    const config = { url, headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'PARTNER_TOKEN', prefix: 'Bearer ' }, 'X-Raw': { secretEnv: 'PARTNER_TOKEN' } } };
    await callHttpAgent({ agentId: 'partner', config, context }, { secrets, egress });
    expect(headers).toMatchObject({ 'x-team': 'ops', authorization: 'Bearer partner-123', 'x-raw': 'partner-123' });
  });

  it('refuses an ungranted or reserved variable in secretEnv or a header before sending anything', async () => {
    let hits = 0;
    handler = (_req, _body, res) => {
      hits++;
      res.end('{}');
    };
    const cases: Array<{ config: HttpAgentConfig; variable: string; reason: string }> = [
      { config: { url, secretEnv: 'OTHER_TEAM_TOKEN' }, variable: 'OTHER_TEAM_TOKEN', reason: 'not_granted' },
      { config: { url, headers: { 'X-Team': 'ops', Authorization: { secretEnv: 'OTHER_TEAM_TOKEN', prefix: 'Bearer ' } } }, variable: 'OTHER_TEAM_TOKEN', reason: 'not_granted' },
      { config: { url, headers: { Authorization: { secretEnv: 'BATON_API_KEYS', prefix: 'Bearer ' } } }, variable: 'BATON_API_KEYS', reason: 'reserved' },
      { config: { url, secretEnv: 'BATON_API_KEYS' }, variable: 'BATON_API_KEYS', reason: 'reserved' },
    ];
    for (const { config, variable, reason } of cases) {
      const failure = await failureOf(callHttpAgent({ agentId: 'thief', config, context }, { secrets, egress }));
      expect([failure.type, failure.nonRetryable]).toEqual(['secret_not_granted', true]);
      expect(failure.message).toContain(variable);
      expect(failure.message).not.toMatch(/other-456|key-a/);
      expect(failure.details).toEqual([{ variable, project: 'default', reason }]);
    }
    expect(hits).toBe(0);
    // The same variable works for the project it is granted to.
    await expect(callHttpAgent({ agentId: 'a', config: { url, secretEnv: 'OTHER_TEAM_TOKEN' }, context: { ...context, project: 'other' } }, { secrets, egress })).resolves.toEqual({});
    expect(hits).toBe(1);
  });

  it('returns a text answer as text, an empty one as null, and sends no signature without secretEnv', async () => {
    let signature: string | string[] | undefined = 'unset';
    handler = (req, _body, res) => {
      signature = req.headers['x-baton-signature'];
      res.writeHead(200, { 'content-type': 'text/plain' }).end('plain words');
    };
    await expect(callHttpAgent({ agentId: 'a', config: { url }, context }, { secrets, egress })).resolves.toBe('plain words');
    expect(signature).toBeUndefined();
    handler = (_req, _body, res) => res.writeHead(204).end();
    await expect(callHttpAgent({ agentId: 'a', config: { url }, context }, { secrets, egress })).resolves.toBeNull();
  });

  it('throws a retryable failure with status and truncated body on 5xx, 429 and 408', async () => {
    handler = (_req, _body, res) => res.writeHead(503, 'Service Unavailable').end('down for maintenance ' + 'x'.repeat(5_000));
    const failure = await failureOf(callHttpAgent({ agentId: 'a', config: { url }, context }, { secrets, egress }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('agent_unavailable');
    expect(failure.message).toMatch(/^http agent "a" \(POST http:.*\/agent\) answered 503 Service Unavailable: down for maintenance x+…$/);
    expect(failure.message.length).toBeLessThan(1_200);
    expect(failure.details).toEqual([{ status: 503, body: expect.stringMatching(/^down for maintenance/) as unknown }]);
    for (const status of [429, 408]) {
      handler = (_req, _body, res) => res.writeHead(status).end();
      const retryable = await failureOf(callHttpAgent({ agentId: 'a', config: { url }, context }, { secrets, egress }));
      expect([retryable.nonRetryable, retryable.message]).toEqual([false, expect.stringContaining(`answered ${status}`)]);
    }
  });

  it('fails non-retryably on other 4xx answers, since repeating the request cannot help', async () => {
    handler = (_req, _body, res) => res.writeHead(422, { 'content-type': 'application/json' }).end('{"error":"missing field"}');
    const failure = await failureOf(callHttpAgent({ agentId: 'a', config: { url }, context }, { secrets, egress }));
    expect([failure.type, failure.nonRetryable]).toEqual(['agent_rejected', true]);
    expect(failure.message).toContain('answered 422 Unprocessable Entity: {"error":"missing field"}');
  });

  it('fails non-retryably on a redirect, naming its target and never following it', async () => {
    let followed = 0;
    handler = (req, _body, res) => {
      if (req.url === '/next') followed += 1;
      res.writeHead(307, { location: `${url.replace('/agent', '/next')}` }).end();
    };
    const failure = await failureOf(callHttpAgent({ agentId: 'a', config: { url }, context }, { secrets, egress }));
    expect([failure.type, failure.nonRetryable]).toEqual(['agent_rejected', true]);
    expect(failure.message).toContain(`answered 307 Temporary Redirect (a redirect to ${url.replace('/agent', '/next')}, which Baton does not follow)`);
    expect(followed).toBe(0);
  });

  it('fails non-retryably with egress_refused, naming the host, when the URL is not allowed, and sends nothing', async () => {
    let requests = 0;
    handler = (_req, _body, res) => { requests += 1; res.end('{}'); };
    const failure = await failureOf(callHttpAgent({ agentId: 'spy', config: { url }, context }, { secrets, egress: egressPolicyFromEnv({}) }));
    expect([failure.type, failure.nonRetryable]).toEqual(['egress_refused', true]);
    expect(failure.message).toBe(`http agent "spy" (POST ${url}) was refused: 127.0.0.1 is a loopback address; allow it with BATON_EGRESS_ALLOW`);
    const withPassword = await failureOf(callHttpAgent({ agentId: 'spy', config: { url: url.replace('//', '//admin:hunter2@') }, context }, { secrets, egress }));
    expect([withPassword.type, withPassword.message.includes('hunter2')]).toEqual(['egress_refused', false]);
    expect(requests).toBe(0);
  });

  it('fails fast when the secret variable is missing, and retryably when unreachable or slow', async () => {
    const missing = await failureOf(callHttpAgent({ agentId: 'a', config: { url, secretEnv: 'NOT_SET_SECRET' }, context }, { secrets, egress }));
    expect([missing.type, missing.nonRetryable, missing.message]).toEqual(['agent_not_configured', true, expect.stringContaining('secret in NOT_SET_SECRET, which is not set')]);

    handler = () => undefined;
    const slow = await failureOf(callHttpAgent({ agentId: 'a', config: { url, timeoutMs: 100 }, context }, { secrets, egress }));
    expect([slow.type, slow.nonRetryable, slow.message]).toEqual(['agent_unavailable', false, expect.stringContaining('did not answer within 100 ms')]);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/agent`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const unreachable = await failureOf(callHttpAgent({ agentId: 'a', config: { url: deadUrl }, context }, { secrets, egress }));
    expect([unreachable.nonRetryable, unreachable.message]).toEqual([false, expect.stringMatching(/is unreachable: .*ECONNREFUSED/)]);
  });
});
