import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHttpAgentActivities } from '../../src/activities/http-agent-activity.ts';
import { verifyBatonSignature, type HttpAgentCall } from '../../src/agents/http-agent.ts';
import { egressPolicyFromEnv } from '../../src/security/egress-policy.ts';
import { createProjectSecrets } from '../../src/security/project-secrets.ts';
import { harnessClient, startHarnessWorker, type HarnessWorker } from '../fakes/harness-worker.ts';

// The http agent activity in a real worker against a real local receiver; the harness workflow
// retries it 3 times, 50 ms apart.

const address = inject('temporalAddress');
const namespace = inject('temporalNamespace');
const secret = 'receiver-secret';
let handler: (req: IncomingMessage, body: string, res: ServerResponse) => void = (_q, _b, res) => res.end();
let hits = 0;
let server: Server;
let url: string;
let worker: HarnessWorker;
let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      hits++;
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent`;
  worker = await startHarnessWorker({ address, namespace, activities: createHttpAgentActivities({ secrets: createProjectSecrets({ grants: new Map([['default', new Set(['ROUTER_SECRET'])]]), env: { ROUTER_SECRET: secret } }), egress: egressPolicyFromEnv({ BATON_EGRESS_ALLOW: '127.0.0.1' }) }) });
  ({ client, close: closeClient } = await harnessClient(address, namespace));
});
afterAll(async () => {
  await worker?.stop();
  await closeClient?.();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const call = (over: Partial<HttpAgentCall['config']> = {}): HttpAgentCall => ({
  agentId: 'router',
  config: { url, secretEnv: 'ROUTER_SECRET', ...over },
  context: { runId: 'wfr_h', project: 'default', step: 'route', task: 'Route', state: {}, input: 'lead', action: 'Route it', steps: {}, sessionId: 's', session: [] },
});
const run = (c: HttpAgentCall) => client.workflow.execute('callHttpAgentOnce', { taskQueue: worker.taskQueue, workflowId: `http-agent-${randomUUID()}`, args: [c] });

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ActivityFailure);
  return cause!.cause as ApplicationFailure;
}

describe('http agent activity', () => {
  it('delivers a signed request the receiver verifies, and returns its JSON answer', async () => {
    handler = (req, body, res) => {
      const ok = verifyBatonSignature(secret, req.headers['x-baton-timestamp'] as string, body, req.headers['x-baton-signature'] as string);
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { team: 'enterprise', saw: (JSON.parse(body) as { input: unknown }).input } : { error: 'bad signature' }));
    };
    await expect(run(call())).resolves.toEqual({ team: 'enterprise', saw: 'lead' });
  });

  it('retries a 500 and then fails the step with the status and the body', async () => {
    handler = (_req, _body, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('database on fire');
    const before = hits;
    const failure = await failureOf(run(call()));
    expect(hits - before).toBe(3);
    expect(failure.type).toBe('agent_unavailable');
    expect(failure.message).toBe(`http agent "router" (POST ${url}) answered 500 Internal Server Error: database on fire`);
  });

  it('succeeds when a retry gets a 2xx after a 503', async () => {
    let attempt = 0;
    handler = (_req, _body, res) => (++attempt === 1 ? res.writeHead(503).end('busy') : res.writeHead(200).end('second time lucky'));
    await expect(run(call())).resolves.toBe('second time lucky');
    expect(attempt).toBe(2);
  });

  it('does not retry a 4xx: the receiver refused the request itself', async () => {
    handler = (_req, _body, res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
    const before = hits;
    const failure = await failureOf(run(call({ secretEnv: undefined })));
    expect(hits - before).toBe(1);
    expect([failure.type, failure.nonRetryable, failure.message]).toEqual(['agent_rejected', true, expect.stringContaining('answered 401 Unauthorized: {"error":"bad signature"}')]);
  });
});
