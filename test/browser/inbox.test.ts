// The operators' inbox in a real headless Chromium against Baton as `baton start` composes it
// (real Temporal dev server, PostgreSQL, HTTP): questions appear without a reload, and each kind
// of pending action is answered through its form; two projects never see each other's runs, and a
// form posted from another origin is refused.
//
// The browser is BATON_CHROMIUM_PATH, or /usr/bin/chromium (Debian's `apt-get install chromium`).
// Without one the test fails, saying so: a browser test that skips proves nothing.
// BATON_INBOX_SCREENSHOT=<file.png> also saves a screenshot of the inbox with paused runs.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBatonStack, type BatonStack } from '../integration/baton-stack.ts';
import { startOpenAiFake, type OpenAiFake } from '../fakes/openai-fake-server.ts';

const chromiumPath = process.env.BATON_CHROMIUM_PATH || '/usr/bin/chromium';
const screenshotPath = process.env.BATON_INBOX_SCREENSHOT;

let stack: BatonStack;
let fake: OpenAiFake;
let browser: Browser;
let alpha: string;
let beta: string;
const labels = { alpha: 'alice', beta: 'bob' };
const keyOf = (project: string) => `browser-key-${project}`;

beforeAll(async () => {
  if (!existsSync(chromiumPath)) {
    throw new Error(`No Chromium at ${chromiumPath}: install one (apt-get install chromium) or point BATON_CHROMIUM_PATH at it. The inbox browser test needs a real browser.`);
  }
  // Each stack has a database of its own, so plain names cannot meet another test's runs.
  alpha = 'acme';
  beta = 'globex';
  fake = await startOpenAiFake((request) => {
    const last = request.body.messages.at(-1);
    if (last?.role === 'tool') return { content: `Done: ${last.content}` };
    return { toolCalls: [{ name: 'calculator', arguments: { expression: '6*7' } }] };
  });
  stack = await startBatonStack({
    name: 'inbox-browser',
    projects: [alpha, beta],
    env: { BATON_API_KEYS: `${keyOf(alpha)}:${alpha}:${labels.alpha},${keyOf(beta)}:${beta}:${labels.beta}` },
  });
  await defineWorkflows(alpha);
  browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox; /dev/shm may be tiny.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  await fake?.close();
});

/** Calls the API as `project` (its key) over real HTTP. */
async function api<T>(project: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${keyOf(project)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Through the Agent Manager API: an intake (an input step with a schema, then a reviewed agent step) and an llm agent whose tool needs approval. */
async function defineWorkflows(project: string): Promise<void> {
  const intake = await api<{ id: string }>(project, 'POST', '/api/v1/workflows', { name: 'Lead intake', agent: 'lead-intake' });
  await api(project, 'POST', `/api/v1/workflows/${intake.id}/steps`, {
    type: 'input',
    name: 'details',
    message: 'Tell us about {{state.company}}',
    schema: {
      type: 'object',
      required: ['employees', 'region'],
      properties: {
        employees: { type: 'integer', minimum: 1, title: 'Employees' },
        region: { enum: ['emea', 'amer', 'apac'], title: 'Region' },
        vip: { type: 'boolean', title: 'VIP account' },
      },
    },
  });
  await api(project, 'POST', `/api/v1/workflows/${intake.id}/steps`, { name: 'classify', agentId: 'lead-classifier', action: 'Classify the lead.', requireApproval: true });

  await api(project, 'POST', '/api/v1/agents', { id: 'calc-bot', kind: 'llm', config: { model: 'fake-model', baseUrl: fake.baseUrl, tools: [{ name: 'calculator', requiresApproval: true }] } });
  const calc = await api<{ id: string }>(project, 'POST', '/api/v1/workflows', { name: 'Calculator', agent: 'calc' });
  await api(project, 'POST', `/api/v1/workflows/${calc.id}/steps`, { name: 'compute', agentId: 'calc-bot', action: 'What is 6 times 7?' });

  const reminded = await api<{ id: string }>(project, 'POST', '/api/v1/workflows', { name: 'Reminded approval', agent: 'reminded' });
  await api(project, 'POST', `/api/v1/workflows/${reminded.id}/steps`, { type: 'approval', name: 'approve', message: 'Ship it?', options: ['yes', 'no'], pauseTimeout: '1h', remindAfter: '1s', remindEvery: '1s' });
}

/** Starts a run of a published workflow over the v1 API; it answers once the run pauses. */
async function startRun(project: string, agent: string, state: Record<string, unknown>): Promise<string> {
  const run = await api<{ run_id: string; output: { status: string } }>(project, 'POST', `/v1/agents/${agent}/workflow`, { input: { task: 'Handle this lead', state } });
  expect(run.output.status).toBe('paused');
  return run.run_id;
}

/** A signed-in page of `project`, in a browser context of its own (its own cookies). */
async function signIn(project: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.goto(`${stack.url}/inbox`);
  expect(new URL(page.url()).pathname).toBe('/inbox/login');
  await page.type('input[name="key"]', keyOf(project));
  await Promise.all([page.waitForNavigation(), page.click('form.login button[type="submit"]')]);
  expect(new URL(page.url()).pathname).toBe('/inbox');
  return { context, page };
}

/** Clicks and waits for the page the form post leads to. */
async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** Evaluates `expression` in the page (the test program has no DOM types, so browser code is text). */
async function inPage<T>(page: Page, expression: string): Promise<T> {
  return (await page.evaluate(expression)) as T;
}

const liveText = (page: Page) => inPage<string>(page, `document.getElementById('live').textContent.replace(/\\s+/g, ' ')`);

/** Waits until the run page's live region (swapped in by the page script) shows the run `status`. */
async function waitForStatus(page: Page, status: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(`document.querySelector('#live .facts .status')?.textContent === ${JSON.stringify(status)}`, { timeout });
}

const valueOf = (page: Page, selector: string) => page.$eval(selector, (field) => (field as unknown as { value: string }).value);
const setValue = (page: Page, selector: string, value: string) => page.$eval(selector, (field, text) => { (field as unknown as { value: string }).value = text; }, value);

/** Marks the document, so a test can tell a live update from a reload (which would drop the mark). */
async function markDocument(page: Page): Promise<void> {
  await inPage(page, 'document.documentElement.dataset.testMark = "kept"');
}
async function documentKept(page: Page): Promise<boolean> {
  return (await inPage<string | undefined>(page, 'document.documentElement.dataset.testMark')) === 'kept';
}

describe('the inbox in a browser', () => {
  it('shows a new lead-router question without a reload; approving it with a comment completes the run, and the run shows who answered and why', async () => {
    const { context, page } = await signIn(alpha);
    try {
      await page.waitForSelector('#live-status[data-state="live"]');
      await markDocument(page);
      const runId = await startRun(alpha, 'lead-router', { leadId: 'lead-browser-1', employees: 2500 });
      await page.waitForSelector(`li.run[data-run-id="${runId}"]`, { timeout: 30_000 });
      expect(await documentKept(page)).toBe(true);
      expect(await liveText(page)).toContain('Route to enterprise sales team?');

      await Promise.all([page.waitForNavigation(), page.click(`li.run[data-run-id="${runId}"] a.answer-link`)]);
      await page.type('textarea[name="comment"]', 'Big account, enterprise team agreed');
      await submit(page, 'button[name="choice"][value="approve"]');
      expect(new URL(page.url()).pathname).toBe(`/inbox/runs/${runId}`);
      await markDocument(page);
      await waitForStatus(page, 'completed');
      expect(await documentKept(page)).toBe(true);
      const text = await liveText(page);
      expect(text).toContain('enterprise-sales');
      expect(text).toContain('Big account, enterprise team agreed');
      expect(text).toContain(`${labels.alpha} via inbox`);
      const run = await api<{ output: { status: string; answers?: Array<{ answeredBy: unknown; comment: string | null }> } }>(alpha, 'GET', `/v1/workflow-runs/${runId}`);
      expect(run.output.status).toBe('completed');
      expect(run.output.answers).toEqual([expect.objectContaining({ answeredBy: { via: 'inbox', label: labels.alpha }, comment: 'Big account, enterprise team agreed' })]);

      // Back on the list, the answered run is gone.
      await page.goto(`${stack.url}/inbox`);
      expect(await page.$(`li.run[data-run-id="${runId}"]`)).toBeNull();
    } finally {
      await context.close();
    }
  }, 120_000);

  it('answers an input step through the form generated from its schema, then sends an edited output for the review', async () => {
    const { context, page } = await signIn(alpha);
    try {
      const runId = await startRun(alpha, 'lead-intake', { company: 'Acme' });
      await page.goto(`${stack.url}/inbox/runs/${runId}`);
      expect(await liveText(page)).toContain('Tell us about Acme');
      await page.type('input[name="field.employees"]', '0');
      await page.select('select[name="field.region"]', '"emea"');
      await submit(page, 'button[name="send"]');
      // Refused by the step's schema: the API's error, the form as it was filled in, nothing changed.
      expect(await liveText(page)).toContain('input does not match the step schema');
      expect(await valueOf(page, 'input[name="field.employees"]')).toBe('0');
      await setValue(page, 'input[name="field.employees"]', '');
      await page.type('input[name="field.employees"]', '40');
      await page.click('input[name="field.vip"]');
      await submit(page, 'button[name="send"]');

      // The run moves on to the review of the classifier's answer; the page follows it live.
      await markDocument(page);
      await page.waitForSelector('button[name="accept"]', { timeout: 30_000 });
      expect(await documentKept(page)).toBe(true);
      expect(await liveText(page)).toContain('"employees": 40');
      await page.click('details.edit summary');
      await setValue(page, 'textarea[name="output"]', '');
      await page.type('textarea[name="output"]', '{"category": "smb", "note": "small after all"}');
      await page.type('textarea[name="comment"]', 'Only 40 people');
      await submit(page, 'button[name="send_edited"]');
      await waitForStatus(page, 'completed');
      expect(await liveText(page)).toContain('"note": "small after all"');
      const run = await api<{ output: { result: unknown } }>(alpha, 'GET', `/v1/workflow-runs/${runId}`);
      expect(run.output.result).toEqual({ category: 'smb', note: 'small after all' });
    } finally {
      await context.close();
    }
  }, 120_000);

  it('approves an llm agent\'s tool call with edited arguments', async () => {
    const { context, page } = await signIn(alpha);
    try {
      const runId = await startRun(alpha, 'calc', {});
      await page.goto(`${stack.url}/inbox/runs/${runId}`);
      const text = await liveText(page);
      expect(text).toContain('wants to call the tool "calculator"');
      expect(text).toContain('"expression": "6*7"');
      await page.click('details.edit summary');
      await setValue(page, 'textarea[name="arguments"]', '{"expression": "6*8"}');
      await submit(page, 'button[name="edit_decision"]');
      await waitForStatus(page, 'completed');
      expect(await liveText(page)).toContain('\\"result\\":48');
    } finally {
      await context.close();
    }
  }, 120_000);

  it('never shows one project\'s runs to another, and refuses a form posted from another origin', async () => {
    const alphaRun = await startRun(alpha, 'lead-router', { leadId: 'lead-alpha-only' });
    const betaRun = await startRun(beta, 'lead-router', { leadId: 'lead-beta-only' });
    const { context, page } = await signIn(beta);
    const evil = await serveForgery(`${stack.url}/inbox/runs/${alphaRun}/answer`);
    try {
      expect(await page.$(`li.run[data-run-id="${betaRun}"]`)).not.toBeNull();
      expect(await page.content()).not.toContain(alphaRun);
      const foreign = await page.goto(`${stack.url}/inbox/runs/${alphaRun}`);
      expect(foreign?.status()).toBe(404);

      // Alpha's signed-in operator visits a page on another origin that posts the answer form.
      const { context: alphaContext, page: alphaPage } = await signIn(alpha);
      try {
        const refused = alphaPage.waitForResponse((response) => response.url().endsWith(`/inbox/runs/${alphaRun}/answer`));
        await alphaPage.goto(evil.url);
        expect((await refused).status()).toBe(403);
        await alphaPage.waitForFunction('document.body.textContent.includes("This form was not sent from this inbox")');
      } finally {
        await alphaContext.close();
      }
      const run = await api<{ output: { status: string } }>(alpha, 'GET', `/v1/workflow-runs/${alphaRun}`);
      expect(run.output.status).toBe('paused');
    } finally {
      await context.close();
      await evil.close();
    }
  }, 120_000);

  it('updates the deadline line as reminders arrive and keeps what is being typed', async () => {
    const { context, page } = await signIn(alpha);
    try {
      const runId = await startRun(alpha, 'reminded', {});
      await page.goto(`${stack.url}/inbox/runs/${runId}`);
      expect(await liveText(page)).toContain('Answer by');
      await page.waitForSelector('#live-status[data-state="live"]');
      await markDocument(page);
      await page.type('textarea[name="comment"]', 'Typed while reminded');
      await page.waitForFunction(`/Reminded [2-9]\\d* times/.test(document.querySelector('#live .deadline').textContent)`, { timeout: 30_000 });
      expect(await documentKept(page)).toBe(true);
      expect(await valueOf(page, 'textarea[name="comment"]')).toBe('Typed while reminded');
      await submit(page, 'button[name="choice"][value="yes"]');
      await waitForStatus(page, 'completed');
      const run = await api<{ output: { answers?: Array<{ comment: string | null }> } }>(alpha, 'GET', `/v1/workflow-runs/${runId}`);
      expect(run.output.answers).toEqual([expect.objectContaining({ input: 'yes', comment: 'Typed while reminded' })]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('lists every kind of question, oldest first', async () => {
    const { context, page } = await signIn(alpha);
    try {
      const runs = [
        await startRun(alpha, 'lead-router', { leadId: 'lead-list', employees: 300 }),
        await startRun(alpha, 'lead-intake', { company: 'Initech' }),
        await startRun(alpha, 'calc', {}),
      ];
      await page.setViewport({ width: 1200, height: 1000 });
      await page.goto(`${stack.url}/inbox`);
      const order = await inPage<string[]>(page, `[...document.querySelectorAll('li.run')].map((item) => item.getAttribute('data-run-id'))`);
      expect(order.filter((runId) => runs.includes(runId))).toEqual(runs);
      const badges = await inPage<string[]>(page, `[...document.querySelectorAll('li.run .badge')].map((item) => item.textContent)`);
      expect(new Set(badges)).toEqual(new Set(['Confirmation', 'Input', 'Tool approval']));
      if (screenshotPath) await page.screenshot({ path: screenshotPath, fullPage: true });
    } finally {
      await context.close();
    }
  }, 120_000);
});

/** A page on another origin (another port) whose script posts a forged answer to `target` at once. */
async function serveForgery(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><html><body>
<form id="forged" method="post" action="${target}">
  <input type="hidden" name="csrf" value="guessed-token-guessed-token">
  <input type="hidden" name="step" value="approval">
  <input type="hidden" name="choice" value="approve">
</form>
<script>document.getElementById('forged').submit();</script>
</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
