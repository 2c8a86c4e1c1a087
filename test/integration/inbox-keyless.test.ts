// The inbox of `baton start` as a first run has it: no API keys (no sign-in, everyone is project
// `default`, forms protected by a double-submit cookie and the origin check) and the embedded
// PGlite store, whose change notices are in-process.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { csrfOf, InboxClient, textOf } from '../fixtures/inbox-client.ts';
import { startBatonStack, type BatonStack } from './baton-stack.ts';

let stack: BatonStack;

beforeAll(async () => {
  stack = await startBatonStack({ name: 'inbox-keyless', database: 'pglite' });
}, 180_000);
afterAll(async () => stack?.close());

async function startPaused(): Promise<string> {
  const response = await fetch(`${stack.url}/v1/agents/lead-router/workflow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: { task: 'Route this lead', state: { leadId: 'lead-keyless' } } }),
  });
  return ((await response.json()) as { run_id: string }).run_id;
}

it('shows project default\'s paused runs without a sign-in, and streams their changes', async () => {
  const client = new InboxClient(stack.url);
  const abort = new AbortController();
  const events = await fetch(`${stack.url}/inbox/events`, { signal: abort.signal });
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = '';
  const runId = await startPaused();
  try {
    // The pause of this run arrives as an event (after the stream's `ready` and the start's `running`).
    const paused = new RegExp(`event: run\\ndata: \\{"runId":"${runId}","version":\\d+,"status":"paused"\\}`);
    while (!paused.test(received)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the event stream ended: ${received}`);
      received += value;
    }
  } finally {
    abort.abort();
  }
  expect(received).toMatch(/^event: ready\n/);

  const page = await client.get('/inbox');
  expect(page.status).toBe(200);
  expect(textOf(page.text)).toContain('project default');
  expect(page.text).toContain(runId);
  expect(page.text).not.toContain('Sign out');
  const login = await client.get('/inbox/login');
  expect([login.status, login.headers.get('location')]).toEqual([303, '/inbox']);
});

it('takes an answer only with the double-submit cookie its page set, from this origin', async () => {
  const runId = await startPaused();
  const client = new InboxClient(stack.url);
  const page = await client.get(`/inbox/runs/${runId}`);
  const cookie = page.headers.getSetCookie().find((line) => line.startsWith('baton_inbox_csrf='))!;
  expect(cookie).toMatch(/; Path=\/inbox; HttpOnly; SameSite=Strict$/);
  const csrf = csrfOf(page.text);
  expect(client.cookies.get('baton_inbox_csrf')).toBe(csrf);
  const before = await stack.runs.get('default', runId);

  const stranger = new InboxClient(stack.url);
  expect((await stranger.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'approval', choice: 'approve' })).status).toBe(403);
  expect((await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'approval', choice: 'approve' }, { origin: 'http://localhost:9' })).status).toBe(403);
  expect((await client.post(`/inbox/runs/${runId}/answer`, { csrf: 'x'.repeat(32), step: 'approval', choice: 'approve' })).status).toBe(403);
  expect((await stack.runs.get('default', runId)).version).toBe(before.version);

  const answered = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'approval', choice: 'reject', comment: 'not a lead' });
  expect(answered.status).toBe(303);
  await expect.poll(async () => (await stack.runs.get('default', runId)).status, { timeout: 30_000 }).toBe('completed');
});
