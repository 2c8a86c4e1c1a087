import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BatonApiError, createClient, type V1Run } from '../../src/sdk/index.ts';

// The SDK's watchRun and watchRuns against a real HTTP server that plays scripted event streams:
// one script per connection, so reconnections, drops and error answers are exact.
type Script = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let scripts: Script[] = [];
const requests: Array<{ url: string; headers: IncomingMessage['headers']; closed: Promise<void> }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers, closed: new Promise((resolve) => res.once('close', () => resolve())) });
    const script = scripts.shift();
    if (script) script(req, res);
    else res.writeHead(500).end('no script left');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  requests.length = 0;
  scripts = [];
});

const run = (status: string): V1Run => ({ output: { status: status as V1Run['output']['status'], steps: [], result: null, pendingAction: null }, run_id: 'wfr_1' });
const event = (version: number, status: string) => `event: run\nid: wfr_1:${version}\ndata: ${JSON.stringify(run(status))}\n\n`;
const stream = (res: ServerResponse, text: string) => res.writeHead(200, { 'content-type': 'text/event-stream' }).write(text);

async function collect(iterable: AsyncIterable<V1Run>): Promise<string[]> {
  const statuses: string[] = [];
  for await (const item of iterable) statuses.push(item.output.status);
  return statuses;
}

describe('watchRun', () => {
  it('yields each state until a finished one, reconnecting with the last event id after the stream ends or drops', async () => {
    scripts = [
      // A short retry, the current state, then half an event and a dropped connection.
      (_req, res) => { stream(res, `retry: 10\n\n: connected\n\n${event(2, 'paused')}event: run\nid: wfr_1:3\ndata: {"out`); setTimeout(() => res.destroy(), 20); },
      // The stream ends on its own (a timeout) without the run finishing.
      (_req, res) => { stream(res, `: keep-alive\n\n${event(3, 'running')}`); res.end(); },
      (_req, res) => { stream(res, `${event(4, 'paused')}${event(5, 'completed')}`); },
    ];
    const client = createClient({ baseUrl: `${baseUrl}/`, apiKey: 'key-1' });
    expect(await collect(client.workflowRuns.watchRun('wfr_1'))).toEqual(['paused', 'running', 'paused', 'completed']);
    expect(requests.map((request) => request.url)).toEqual(['/v1/workflow-runs/wfr_1/events', '/v1/workflow-runs/wfr_1/events', '/v1/workflow-runs/wfr_1/events']);
    expect(requests[0]!.headers).toMatchObject({ authorization: 'Bearer key-1', accept: 'text/event-stream' });
    expect(requests.map((request) => request.headers['last-event-id'])).toEqual([undefined, 'wfr_1:2', 'wfr_1:3']);
    // The last stream was left open by the server: the SDK closes it once the run finished.
    await requests[2]!.closed;
  });

  it('ends with nothing more on 204 (the client already has the final state) and starts from a given last event id', async () => {
    scripts = [(_req, res) => { res.writeHead(204).end(); }];
    expect(await collect(createClient({ baseUrl }).workflowRuns.watchRun('wfr_1', { lastEventId: 'wfr_1:7' }))).toEqual([]);
    expect(requests[0]!.headers['last-event-id']).toBe('wfr_1:7');
  });

  it('rejects with the API error of an error answer, such as 404 run_not_found, without retrying', async () => {
    scripts = [(_req, res) => { res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'run_not_found', message: 'No such run.' } })); }];
    const error = await collect(createClient({ baseUrl }).workflowRuns.watchRun('wfr_x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BatonApiError);
    expect(error).toMatchObject({ code: 'run_not_found', status: 404 });
    expect(requests).toHaveLength(1);
  });

  it('rejects when it cannot reach the API at all', async () => {
    await expect(collect(createClient({ baseUrl: 'http://127.0.0.1:1' }).workflowRuns.watchRun('wfr_1'))).rejects.toThrow(/fetch failed/);
  });

  it('gives up after six failed reconnections in a row', async () => {
    const unavailable: Script = (_req, res) => { res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'too_many_streams', message: 'Busy.' } })); };
    scripts = [(_req, res) => { stream(res, `retry: 1\n\n${event(1, 'running')}`); res.end(); }, ...Array.from({ length: 6 }, () => unavailable)];
    const seen: string[] = [];
    const error = await (async () => {
      for await (const item of createClient({ baseUrl }).workflowRuns.watchRun('wfr_1')) seen.push(item.output.status);
    })().catch((caught: unknown) => caught);
    expect(seen).toEqual(['running']);
    expect(error).toMatchObject({ code: 'too_many_streams', status: 503 });
    expect(requests).toHaveLength(7);
  });
});

describe('watchRuns', () => {
  it('sends the filters, yields every change, and ends without an error when the signal aborts, closing the connection', async () => {
    scripts = [(_req, res) => { stream(res, `${event(1, 'paused')}`); }];
    const abort = new AbortController();
    const seen: string[] = [];
    for await (const item of createClient({ baseUrl }).workflowRuns.watchRuns({ status: 'paused', agent: 'lead-router', signal: abort.signal })) {
      seen.push(item.output.status);
      abort.abort();
    }
    expect(seen).toEqual(['paused']);
    expect(requests[0]!.url).toBe('/v1/workflow-runs/events?status=paused&agent=lead-router');
    await requests[0]!.closed;
  });

  it('closes the connection when the caller stops iterating', async () => {
    scripts = [(_req, res) => { stream(res, `${event(1, 'paused')}${event(2, 'running')}`); }];
    for await (const item of createClient({ baseUrl }).workflowRuns.watchRuns()) {
      expect(item.output.status).toBe('paused');
      break;
    }
    await requests[0]!.closed;
  });
});
