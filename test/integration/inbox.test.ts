// The operators' inbox over real HTTP on Baton as `baton start` composes it, with two projects
// (two API keys): sign-in, the paused-run list, a run's page, answering (and refused answers),
// CSRF and origin checks, the live event stream, and the security headers of every page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfOf, InboxClient, textOf } from '../fixtures/inbox-client.ts';
import { startBatonStack, type BatonStack } from './baton-stack.ts';
import { uniqueProject } from './engine-harness.ts';

let stack: BatonStack;
let alpha: string;
let beta: string;

const intakeSchema = { type: 'object', required: ['employees'], properties: { employees: { type: 'integer', minimum: 1 }, region: { enum: ['emea', 'amer'] }, vip: { type: 'boolean' } } };

beforeAll(async () => {
  alpha = uniqueProject('inbox-a');
  beta = uniqueProject('inbox-b');
  stack = await startBatonStack({ name: 'inbox', projects: [alpha, beta] });
  for (const project of [alpha, beta]) {
    await stack.store.definitions.upsertExample(project, {
      id: 'wf-intake',
      name: 'Lead intake',
      agent: 'lead-intake',
      steps: [
        { name: 'details', stepOrder: 1, type: 'input', message: 'How many employees does {{state.company}} have?', schema: intakeSchema },
        { name: 'classify', stepOrder: 2, type: 'agent', agentId: 'lead-classifier', action: 'Classify the lead.', requireApproval: true },
      ],
    });
  }
  await stack.store.definitions.upsertExample(alpha, {
    id: 'wf-reminded',
    name: 'Reminded review',
    agent: 'reminded-review',
    steps: [{ name: 'classify', stepOrder: 1, type: 'agent', agentId: 'lead-classifier', action: 'Classify the lead.', requireApproval: true, pauseTimeout: '1h', remindAfter: '1s', remindEvery: '1s' }],
  });
}, 180_000);
afterAll(async () => stack?.close());

/** Starts a run over the v1 API; it answers once the run pauses (and the pause is in the read model). */
async function startPaused(project: string, agent: string, state: Record<string, unknown>): Promise<string> {
  const response = await fetch(`${stack.url}/v1/agents/${agent}/workflow`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.keyOf(project)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { task: 'Route this lead', state } }),
  });
  const body = (await response.json()) as { run_id: string; output: { status: string } };
  expect(body.output.status).toBe('paused');
  return body.run_id;
}

async function signedIn(project: string): Promise<InboxClient> {
  const client = new InboxClient(stack.url);
  expect((await client.signIn(stack.keyOf(project))).status).toBe(303);
  return client;
}

describe('sign-in', () => {
  it('sends a visitor without a session to the sign-in page, and signs in with an API key', async () => {
    const client = new InboxClient(stack.url);
    const first = await client.get('/inbox');
    expect([first.status, first.headers.get('location')]).toEqual([303, '/inbox/login']);
    const deep = await client.get('/inbox/runs/wfr_123');
    expect(deep.headers.get('location')).toBe('/inbox/login?next=%2Finbox%2Fruns%2Fwfr_123');

    const login = await client.get('/inbox/login?next=/inbox/runs/wfr_123');
    expect(login.status).toBe(200);
    const csrf = csrfOf(login.text);
    const wrong = await client.post('/inbox/login', { csrf, key: 'not-a-key', next: '/inbox/runs/wfr_123' });
    expect(wrong.status).toBe(401);
    expect(textOf(wrong.text)).toContain('Unknown API key.');
    expect(client.cookies.has('baton_inbox_session')).toBe(false);

    const right = await client.post('/inbox/login', { csrf, key: stack.keyOf(alpha), next: '/inbox/runs/wfr_123' });
    expect([right.status, right.headers.get('location')]).toEqual([303, '/inbox/runs/wfr_123']);
    const cookie = right.headers.getSetCookie().find((line) => line.startsWith('baton_inbox_session='))!;
    expect(cookie).toMatch(/; Max-Age=43200/);
    expect(cookie).toMatch(/; Path=\/inbox/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const page = await client.get('/inbox');
    expect(page.status).toBe(200);
    expect(textOf(page.text)).toContain(`project ${alpha}`);
  });

  it('marks the session cookie Secure behind an https proxy, and never redirects off the inbox after sign-in', async () => {
    const client = new InboxClient(stack.url);
    const csrf = csrfOf((await client.get('/inbox/login')).text);
    const answer = await client.post('/inbox/login', { csrf, key: stack.keyOf(alpha), next: 'https://evil.example/' }, { origin: stack.url, 'x-forwarded-proto': 'https' });
    expect(answer.headers.get('location')).toBe('/inbox');
    expect(answer.headers.getSetCookie().find((line) => line.startsWith('baton_inbox_session='))).toMatch(/; Secure/);
  });

  it('refuses a tampered session cookie and signs out', async () => {
    const client = await signedIn(alpha);
    const token = client.cookies.get('baton_inbox_session')!;
    client.cookies.set('baton_inbox_session', token.replace(/.$/, (last) => (last === 'A' ? 'B' : 'A')));
    expect((await client.get('/inbox')).status).toBe(303);
    client.cookies.set('baton_inbox_session', token);
    const page = await client.get('/inbox');
    const out = await client.post('/inbox/logout', { csrf: csrfOf(page.text) });
    expect([out.status, out.headers.get('location')]).toEqual([303, '/inbox/login']);
    expect(client.cookies.has('baton_inbox_session')).toBe(false);
    expect((await client.get('/inbox')).status).toBe(303);
  });
});

describe('the list of paused runs', () => {
  let runs: { lead1: string; intake: string; lead2: string; other: string };

  beforeAll(async () => {
    const lead1 = await startPaused(alpha, 'lead-router', { leadId: 'lead-1', employees: 5000 });
    const intake = await startPaused(alpha, 'lead-intake', { company: 'Acme' });
    const lead2 = await startPaused(alpha, 'lead-router', { leadId: 'lead-2', employees: 10 });
    const other = await startPaused(beta, 'lead-router', { leadId: 'lead-beta' });
    runs = { lead1, intake, lead2, other };
  }, 60_000);

  it('shows the project\'s paused runs oldest first, each with its workflow, id and question, and no other project\'s', async () => {
    const client = await signedIn(alpha);
    const page = await client.get('/inbox');
    const text = textOf(page.text);
    const order = [runs.lead1, runs.intake, runs.lead2].map((runId) => page.text.indexOf(`data-run-id="${runId}"`));
    expect(order.every((at) => at > 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(page.text).not.toContain(runs.other);
    expect(text).toContain('3 runs wait for an answer');
    expect(text).toContain('Lead router');
    expect(text).toContain('Route to enterprise sales team?');
    expect(text).toContain('Route to smb sales team?');
    expect(text).toContain('Options: approve reject escalate');
    expect(text).toContain('How many employees does Acme have?');
    expect(text).toContain('"minimum": 1');

    const betaPage = await (await signedIn(beta)).get('/inbox');
    expect(betaPage.text).toContain(runs.other);
    expect(betaPage.text).not.toContain(runs.lead1);
  });

  it('filters by workflow and by agent, and pages with a cursor', async () => {
    const client = await signedIn(alpha);
    const intakeOnly = await client.get('/inbox?definition=wf-intake');
    expect(intakeOnly.text).toContain(runs.intake);
    expect(intakeOnly.text).not.toContain(runs.lead1);
    const routerOnly = await client.get('/inbox?agent=lead-router');
    expect([routerOnly.text.includes(runs.lead1), routerOnly.text.includes(runs.lead2), routerOnly.text.includes(runs.intake)]).toEqual([true, true, false]);

    const first = await client.get('/inbox?limit=2');
    expect([first.text.includes(runs.lead1), first.text.includes(runs.intake), first.text.includes(runs.lead2)]).toEqual([true, true, false]);
    const next = /rel="next" href="([^"]+)"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    const second = await client.get(next);
    expect([second.text.includes(runs.lead1), second.text.includes(runs.intake), second.text.includes(runs.lead2)]).toEqual([false, false, true]);
    expect(second.text).not.toContain('rel="next"');

    const foreign = await client.get('/inbox?cursor=not-ours');
    expect(foreign.status).toBe(400);
    expect(textOf(foreign.text)).toContain('cursor is not one this API issued');
  });

  it('serves the list region alone for the page script, and refuses it without a session', async () => {
    const client = await signedIn(alpha);
    const fragment = await client.get('/inbox/fragments/list?agent=lead-router');
    expect(fragment.status).toBe(200);
    expect(fragment.text.trimStart()).toMatch(/^<section id="live"/);
    expect(fragment.text).toContain(runs.lead2);
    expect((await new InboxClient(stack.url).get('/inbox/fragments/list')).status).toBe(401);
  });
});

describe('a run\'s page and its answer', () => {
  it('shows the question with one button per option; another project\'s run is not found', async () => {
    const runId = await startPaused(alpha, 'lead-router', { leadId: 'lead-3' });
    const client = await signedIn(alpha);
    const page = await client.get(`/inbox/runs/${runId}`);
    expect(page.status).toBe(200);
    for (const option of ['approve', 'reject', 'escalate']) expect(page.text).toContain(`name="choice" value="${option}"`);
    expect(textOf(page.text)).toContain('classify agent · lead-classifier completed');

    const betaClient = await signedIn(beta);
    const foreign = await betaClient.get(`/inbox/runs/${runId}`);
    expect(foreign.status).toBe(404);
    expect(textOf(foreign.text)).toContain('run not found');
    expect(foreign.text).not.toContain('lead-3');
    expect((await betaClient.get(`/inbox/runs/${runId}/fragment`)).status).toBe(404);
    // Another project's operator, with a valid session and token of their own, cannot answer it either.
    const betaToken = csrfOf((await betaClient.get('/inbox')).text);
    expect((await betaClient.post(`/inbox/runs/${runId}/answer`, { csrf: betaToken, step: 'approval', choice: 'approve' })).status).toBe(404);
    expect((await stack.runs.get(alpha, runId)).status).toBe('paused');
    expect((await client.get('/inbox/runs/not-a-run-id')).status).toBe(404);
  });

  it('shows a refused answer with the API\'s error and changes nothing; a good one redirects to the run, which moves on', async () => {
    const runId = await startPaused(alpha, 'lead-router', { leadId: 'lead-4', employees: 500 });
    const client = await signedIn(alpha);
    const before = await stack.runs.get(alpha, runId);
    const csrf = csrfOf((await client.get(`/inbox/runs/${runId}`)).text);

    const refused = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'approval', choice: 'maybe', comment: 'my note' });
    expect(refused.status).toBe(422);
    expect(textOf(refused.text)).toContain('input must be one of: approve, reject, escalate invalid_resume_input');
    expect(refused.text).toContain('my note');
    expect((await stack.runs.get(alpha, runId)).version).toBe(before.version);

    const wrongStep = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'classify', choice: 'approve' });
    expect(wrongStep.status).toBe(409);
    expect(textOf(wrongStep.text)).toContain('step "approval" is waiting, not "classify"');

    const answered = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'approval', choice: 'approve', comment: 'Mid-market it is' });
    expect([answered.status, answered.headers.get('location')]).toEqual([303, `/inbox/runs/${runId}`]);
    await expect.poll(async () => (await stack.runs.get(alpha, runId)).status, { timeout: 30_000 }).toBe('completed');
    expect((await stack.runs.get(alpha, runId)).result).toEqual({ routedTo: 'mid-market-sales', leadId: 'lead-4', category: 'mid-market' });
    // The answer moved the read model on: the run is no longer listed as paused.
    expect((await stack.store.runs.get(alpha, runId))?.status).not.toBe('paused');

    const late = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'approval', choice: 'approve' });
    expect(late.status).toBe(409);
    expect(textOf(late.text)).toContain('run is completed run_finished');
    const page = await client.get(`/inbox/runs/${runId}`);
    expect(textOf(page.text)).toContain('mid-market-sales');
    // The audit trail: when, who (this key has no label: the inbox alone), the step, the answer and the comment.
    expect(textOf(page.text)).toMatch(/Answers When Who Step Answer Comment \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC via inbox approval confirmation "approve" Mid-market it is/);
  });

  it('answers an input step from the form generated from its schema, then a review with an edited output', async () => {
    const runId = await startPaused(alpha, 'lead-intake', { company: 'Acme' });
    const client = await signedIn(alpha);
    const page = await client.get(`/inbox/runs/${runId}`);
    expect(page.text).toContain('name="field.employees" value="" step="1" required');
    expect(page.text).toContain('<option value="&quot;emea&quot;">emea</option>');
    expect(page.text).toContain('type="checkbox" name="field.vip"');
    const csrf = csrfOf(page.text);

    const refused = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'details', 'field.employees': '0', 'field.region': '"emea"' });
    expect(refused.status).toBe(422);
    expect(textOf(refused.text)).toContain('input does not match the step schema');
    expect(refused.text).toContain('name="field.employees" value="0"');

    const answered = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'details', 'field.employees': '40', 'field.region': '"emea"', 'field.vip': 'true' });
    expect(answered.status).toBe(303);
    await expect.poll(async () => (await stack.runs.get(alpha, runId)).pendingAction?.type, { timeout: 30_000 }).toBe('review');
    const run = await stack.runs.get(alpha, runId);
    expect(run.steps[0]?.output).toEqual({ employees: 40, region: 'emea', vip: true });

    const review = await client.get(`/inbox/runs/${runId}`);
    expect(review.text).toContain('name="accept" value="1"');
    const stale = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'classify', accept: '1', version: String(run.version - 1) });
    expect(stale.status).toBe(409);
    expect(textOf(stale.text)).toContain('The run changed since this page was shown');
    const badJson = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'classify', output: '{"category":', output_format: 'json' });
    expect(badJson.status).toBe(400);
    expect(textOf(badJson.text)).toContain('The edited output could not be read as JSON');

    const edited = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'classify', output: '{"category":"smb"}', output_format: 'json', send_edited: '1' });
    expect(edited.status).toBe(303);
    await expect.poll(async () => (await stack.runs.get(alpha, runId)).status, { timeout: 30_000 }).toBe('completed');
    expect((await stack.runs.get(alpha, runId)).result).toEqual({ category: 'smb' });
  });
});

describe('deadlines and reminders', () => {
  it('shows when a question times out and how often it was reminded, and accepts a review shown before the reminders', async () => {
    const runId = await startPaused(alpha, 'reminded-review', { employees: 12 });
    const client = await signedIn(alpha);
    const shown = await client.get(`/inbox/runs/${runId}`);
    const csrf = csrfOf(shown.text);
    const shownVersion = /name="version" value="(\d+)"/.exec(shown.text)![1]!;
    const paused = await stack.runs.get(alpha, runId);
    expect(textOf(shown.text)).toContain(`Answer by ${paused.pendingAction!.expiresAt!.slice(0, 10)} ${paused.pendingAction!.expiresAt!.slice(11, 19)} UTC`);
    await expect.poll(async () => (await stack.runs.get(alpha, runId)).pendingAction?.reminders ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

    const page = textOf((await client.get(`/inbox/runs/${runId}`)).text);
    expect(page).toMatch(/Reminded \d+ times, last at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(textOf((await client.get('/inbox')).text)).toMatch(/Reminded review.*reminded/s);
    // The proposed output is what the page showed: the reminders since changed nothing it shows.
    const accepted = await client.post(`/inbox/runs/${runId}/answer`, { csrf, step: 'classify', accept: '1', version: shownVersion });
    expect(accepted.status).toBe(303);
    await expect.poll(async () => (await stack.runs.get(alpha, runId)).status, { timeout: 30_000 }).toBe('completed');
  }, 60_000);
});

describe('forged posts', () => {
  it('refuses an answer from another origin, without an origin, or with another session\'s token, and changes nothing', async () => {
    const runId = await startPaused(alpha, 'lead-router', { leadId: 'lead-5' });
    const client = await signedIn(alpha);
    const csrf = csrfOf((await client.get(`/inbox/runs/${runId}`)).text);
    const other = await signedIn(alpha);
    const othersToken = csrfOf((await other.get(`/inbox/runs/${runId}`)).text);
    const before = await stack.runs.get(alpha, runId);
    const form = { csrf, step: 'approval', choice: 'approve' };

    const crossSite = await client.post(`/inbox/runs/${runId}/answer`, form, { origin: 'http://127.0.0.1:1' });
    expect(crossSite.status).toBe(403);
    expect(textOf(crossSite.text)).toContain('This form was not sent from this inbox');
    expect((await client.post(`/inbox/runs/${runId}/answer`, form, { referer: 'http://evil.example/page' })).status).toBe(403);
    expect((await client.post(`/inbox/runs/${runId}/answer`, form, { origin: 'null' })).status).toBe(403);
    expect((await client.post(`/inbox/runs/${runId}/answer`, form, {})).status).toBe(403);
    expect((await client.post(`/inbox/runs/${runId}/answer`, { ...form, csrf: othersToken })).status).toBe(403);
    expect((await client.post(`/inbox/runs/${runId}/answer`, { step: 'approval', choice: 'approve' })).status).toBe(403);
    // A referer of this origin stands in for a missing Origin.
    expect((await client.post(`/inbox/runs/${runId}/answer`, { ...form, choice: 'maybe' }, { referer: `${stack.url}/inbox/runs/${runId}` })).status).toBe(422);
    expect((await stack.runs.get(alpha, runId)).version).toBe(before.version);

    const signIn = new InboxClient(stack.url);
    await signIn.get('/inbox/login');
    expect((await signIn.post('/inbox/login', { csrf: 'guessed-token-guessed', key: stack.keyOf(alpha) })).status).toBe(403);
    expect(signIn.cookies.has('baton_inbox_session')).toBe(false);
  });
});

describe('live events', () => {
  it('streams changes of the session\'s project only', async () => {
    const client = await signedIn(alpha);
    const abort = new AbortController();
    const cookie = [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${stack.url}/inbox/events`, { headers: { cookie }, signal: abort.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = eventReader(response);
    try {
      expect((await events.next()).event).toBe('ready');
      await startPaused(beta, 'lead-router', { leadId: 'lead-beta-2' });
      const alphaRun = await startPaused(alpha, 'lead-router', { leadId: 'lead-6' });
      const paused = await stack.runs.get(alpha, alphaRun);
      // The workflow records the start (running) and the pause; the beta run's changes, though
      // committed first, never reach this stream.
      const seen: unknown[] = [];
      for (;;) {
        const event = await events.next();
        expect(event.event).toBe('run');
        const change = JSON.parse(event.data) as { runId: string; status: string; version: number };
        seen.push(change);
        expect(change.runId, JSON.stringify(seen)).toBe(alphaRun);
        if (change.status === 'paused') {
          expect(change.version).toBe(paused.version);
          break;
        }
      }
    } finally {
      abort.abort();
    }
    expect((await fetch(`${stack.url}/inbox/events`)).status).toBe(401);
  });
});

describe('the pages\' HTTP', () => {
  it('sends security headers with every page and asset, and answers unknown inbox paths 404', async () => {
    const client = await signedIn(alpha);
    for (const path of ['/inbox', '/inbox/login', '/inbox/assets/inbox.js', '/inbox/assets/inbox.css', '/inbox/runs/wfr_nope']) {
      const { headers } = await client.get(path);
      expect(headers.get('content-security-policy'), path).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
      expect(headers.get('x-frame-options'), path).toBe('DENY');
      expect(headers.get('referrer-policy'), path).toBe('same-origin');
      expect(headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const page = await client.get('/inbox');
    expect(page.headers.get('content-type')).toBe('text/html; charset=UTF-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.text.match(/<script>|<script [^>]*>[^<]|style="|\son[a-z]+="/g)).toBeNull();
    const script = await client.get('/inbox/assets/inbox.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await client.get('/inbox/assets/inbox.js', { 'if-none-match': script.headers.get('etag')! })).status).toBe(304);

    for (const path of ['/inbox/nope', '/inbox/assets/nope.js', '/inbox/runs/wfr_x/nope', '/inbox/']) expect((await client.get(path)).status, path).toBe(404);
    const wrongMethod = await client.post('/inbox', {});
    expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    // The inbox stays out of the API's OpenAPI document (it is HTML, not an API operation).
    expect(JSON.stringify(await (await fetch(`${stack.url}/openapi.json`)).json())).not.toContain('/inbox');
  });
});

/** Reads server-sent events off a fetch response, one at a time. */
function eventReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(): Promise<{ event: string; data: string }> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n').filter((line) => !line.startsWith(':'));
          if (lines.length === 0) continue;
          const field = (name: string) => lines.filter((line) => line.startsWith(`${name}: `)).map((line) => line.slice(name.length + 2)).join('\n');
          return { event: field('event') || 'message', data: field('data') };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += value;
      }
    },
  };
}
