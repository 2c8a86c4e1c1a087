// The operators' inbox: server-rendered pages under /inbox listing the project's paused runs and
// answering them, kept live by server-sent events. HTML, so not part of the OpenAPI document; it
// reads the run read model for lists and RunService (Temporal) for a run and its answer.
import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DEFAULT_PROJECT } from '../middleware/auth.ts';
import { BatonError } from '../../src/domain/errors.ts';
import { finishedStatuses, type RunFilter, type RunSnapshot } from '../../src/domain/run.ts';
import type { Store } from '../../src/store/open-store.ts';
import type { RunService } from '../../src/temporal/run-service.ts';
import { batonErrorOf } from '../../src/temporal/temporal-errors.ts';
import { inboxAsset } from './inbox-assets.ts';
import { answerFromForm, commentFromForm, fields, type FormFields } from './inbox-answer.ts';
import { createInboxAuth, csrfCookie, equalText, newCsrfCookieValue, sessionCookie, type InboxIdentity, type InboxSession } from './inbox-session.ts';
import { errorPage, listPage, listRegion, loginPage, runPage, runRegion, type ErrorNotice, type ListFilter, type ListView, type Viewer } from './inbox-views.ts';

export interface InboxDeps {
  /** Reads (authoritative) and answers runs. */
  runs: Pick<RunService, 'get' | 'resume'>;
  /** The run read model and its change feed (lists, live events), and definitions (filters). */
  store: Pick<Store, 'runs' | 'runFeed' | 'definitions'>;
  /** API key → its project and label; empty: no sign-in, everyone is project `default`. */
  keys: ReadonlyMap<string, InboxIdentity>;
  /** How long a sign-in lasts (default 12 h). */
  sessionTtlMs?: number;
  /** Paused runs per list page unless the address says `?limit=` (default 25). */
  pageSize?: number;
  /** Between keep-alive comments on an idle event stream (default 25 s, under common proxy idle limits). */
  keepAliveMs?: number;
  log?: (line: string) => void;
}

interface InboxEnv {
  Variables: {
    session?: InboxSession | null;
    /** The double-submit value chosen for this response, so every form of one page carries the same. */
    doubleSubmit?: string;
  };
}

type InboxContext = Context<InboxEnv>;

const maxPageSize = 100;
// setTimeout fires at once for anything longer (a session TTL of weeks); the stream then just reconnects.
const maxTimerMs = 2 ** 31 - 1;
const keylessSession: InboxSession = { project: DEFAULT_PROJECT, label: null, nonce: '', expiresAt: null };

/** The inbox, for `createApp({ inbox })`, which mounts it at /inbox. */
export function createInboxRoutes(deps: InboxDeps): Hono<InboxEnv> {
  const auth = createInboxAuth(deps.keys, deps.sessionTtlMs === undefined ? {} : { ttlMs: deps.sessionTtlMs });
  const pageSize = deps.pageSize ?? 25;
  const keepAliveMs = deps.keepAliveMs ?? 25_000;
  const log = deps.log ?? ((line: string) => console.error(line));
  const app = new Hono<InboxEnv>();

  app.onError((error, c) => {
    const known = batonErrorOf(error);
    const session = sessionOf(c);
    if (!known) log(`[inbox] ${c.req.method} ${c.req.path} failed: ${error.stack ?? error.message}`);
    const status = (known?.status ?? 500) as ContentfulStatusCode;
    const notice: ErrorNotice = known ? { code: known.code, message: known.message, details: known.details } : { code: 'internal', message: 'Internal error.' };
    return c.html(errorPage(status, notice, session ? viewerOf(c, session) : null).toString(), status);
  });

  app.use('*', async (c, next) => {
    await next();
    securityHeaders(c);
  });

  app.get('/assets/:file', (c) => {
    const asset = inboxAsset(c.req.param('file'));
    if (!asset) return c.notFound();
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304, { ETag: asset.etag });
    return c.body(asset.body, 200, { 'Content-Type': asset.contentType, ETag: asset.etag, 'Cache-Control': 'no-cache' });
  });

  app.get('/', async (c) => {
    const session = sessionOf(c);
    if (!session) return toLogin(c);
    const view = await listView(c, session);
    return c.html(listPage(view, viewerOf(c, session)).toString());
  });

  app.get('/fragments/list', async (c) => {
    const session = sessionOf(c);
    if (!session) return signedOut(c);
    return c.html(listRegion(await listView(c, session)).toString());
  });

  app.get('/runs/:runId', async (c) => {
    const session = sessionOf(c);
    if (!session) return toLogin(c);
    const run = await deps.runs.get(session.project, c.req.param('runId'));
    return c.html(runPage({ run, csrf: csrfFor(c, session), now: Date.now() }, viewerOf(c, session)).toString());
  });

  app.get('/runs/:runId/fragment', async (c) => {
    const session = sessionOf(c);
    if (!session) return signedOut(c);
    const run = await deps.runs.get(session.project, c.req.param('runId'));
    return c.html(runRegion({ run, csrf: csrfFor(c, session), now: Date.now() }).toString());
  });

  app.post('/runs/:runId/answer', async (c) => {
    const form = await formOf(c);
    const session = sessionOf(c);
    const refused = refusedPost(c, session, form);
    if (refused) return refused;
    if (!session) return signedOut(c);
    const runId = c.req.param('runId');
    const run = await deps.runs.get(session.project, runId);
    try {
      const request = resumeRequestOf(run, form);
      // RunService records the answered run in the read model, so it leaves the paused list at once.
      await deps.runs.resume(session.project, runId, request, { by: { via: 'inbox', label: session.label } });
      return c.redirect(`/inbox/runs/${runId}`, 303);
    } catch (error) {
      const known = batonErrorOf(error);
      if (!known || known.status >= 500) throw error;
      // Shown again with the API's error; the run as it is now (it may have moved on meanwhile).
      const current = await deps.runs.get(session.project, runId).catch(() => run);
      const keepForm = current.pendingAction?.step === form[fields.step];
      const view = { run: current, csrf: csrfFor(c, session), now: Date.now(), error: { code: known.code, message: known.message, details: known.details }, ...(keepForm ? { submitted: form } : {}) };
      return c.html(runPage(view, viewerOf(c, session)).toString(), known.status as ContentfulStatusCode);
    }
  });

  app.get('/events', (c) => {
    const session = sessionOf(c);
    if (!session) return signedOut(c);
    return streamSSE(c, async (stream) => {
      const timers: NodeJS.Timeout[] = [];
      const done = new Promise<void>((resolve) => {
        stream.onAbort(resolve);
        c.req.raw.signal.addEventListener('abort', () => resolve(), { once: true });
        // A session's stream ends with it; the page then finds itself signed out.
        if (session.expiresAt !== null) timers.push(setTimeout(resolve, Math.min(maxTimerMs, Math.max(0, session.expiresAt - Date.now()))));
      });
      const unsubscribe = deps.store.runFeed.subscribe((change) => {
        // Only the session's project: notices of other projects never reach this stream.
        if (change.project !== session.project) return;
        void stream.writeSSE({ event: 'run', data: JSON.stringify({ runId: change.runId, version: change.version, status: change.status }) });
      });
      const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n'), keepAliveMs);
      try {
        // `ready` promises that no later change is missed (PostgreSQL: the LISTEN is up); the page
        // refreshes on each `ready` to catch up on what happened before the stream was up.
        await deps.store.runFeed.ready();
        await stream.writeSSE({ event: 'ready', data: '{}', retry: 3000 });
        await done;
      } catch (error) {
        // The browser reconnects after `retry` (3 s by default); nothing to tell it here.
        log(`[inbox] event stream: ${(error as Error).message}`);
      } finally {
        unsubscribe();
        clearInterval(keepAlive);
        for (const timer of timers) clearTimeout(timer);
      }
    });
  });

  app.get('/login', (c) => {
    if (!auth.required || sessionOf(c)) return c.redirect(safeNext(c.req.query('next')), 303);
    return c.html(loginPage({ csrf: doubleSubmitToken(c), next: safeNext(c.req.query('next')) }).toString());
  });

  app.post('/login', async (c) => {
    const form = await formOf(c);
    // Signing in is checked against the double-submit cookie: there is no session yet.
    const refused = refusedPost(c, null, form);
    if (refused) return refused;
    const next = safeNext(form.next);
    if (!auth.required) return c.redirect(next, 303);
    const identity = auth.identify(form.key ?? '');
    if (!identity) return c.html(loginPage({ csrf: doubleSubmitToken(c), next, error: 'Unknown API key.' }).toString(), 401);
    const now = Date.now();
    const { token, session } = auth.issue(identity, now);
    setCookie(c, sessionCookie, token, { ...cookieOptions(c), maxAge: Math.round((session.expiresAt! - now) / 1000) });
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const form = await formOf(c);
    const session = sessionOf(c);
    const refused = refusedPost(c, session, form);
    if (refused) return refused;
    deleteCookie(c, sessionCookie, cookieOptions(c));
    return c.redirect(auth.required ? '/inbox/login' : '/inbox', 303);
  });

  /** Who is asking: the keyless default, a verified session, or nobody (each route decides what that means). */
  function sessionOf(c: InboxContext): InboxSession | null {
    const known = c.get('session');
    if (known !== undefined) return known;
    const session = auth.required ? auth.verify(getCookie(c, sessionCookie), Date.now()) : keylessSession;
    c.set('session', session);
    return session;
  }

  async function listView(c: InboxContext, session: InboxSession): Promise<ListView> {
    const filter: ListFilter = {
      definitionId: queryText(c, 'definition'),
      agent: queryText(c, 'agent'),
      cursor: queryText(c, 'cursor'),
      limit: queryLimit(c),
    };
    const runFilter: RunFilter = { status: 'paused', ...(filter.definitionId ? { definitionId: filter.definitionId } : {}), ...(filter.agent ? { agent: filter.agent } : {}) };
    const [listed, total, definitions] = await Promise.all([
      deps.store.runs.list(session.project, runFilter, { limit: filter.limit ?? pageSize, order: 'oldest', ...(filter.cursor ? { cursor: filter.cursor } : {}) }),
      deps.store.runs.count(session.project, runFilter),
      deps.store.definitions.list(session.project, { page: 0, size: 100 }),
    ]);
    return {
      filter,
      runs: listed.runs,
      nextCursor: listed.nextCursor,
      total,
      definitions: definitions.content.map(({ id, name }) => ({ id, name })),
      agents: [...new Set(definitions.content.flatMap((definition) => (definition.agent ? [definition.agent] : [])))],
      now: Date.now(),
    };
  }

  /** A refusal for a POST that may not come from this inbox's own form, or null when it does. */
  function refusedPost(c: InboxContext, session: InboxSession | null, form: FormFields): Response | null {
    const why = !sameOrigin(c)
      ? 'This form was not sent from this inbox (its Origin or Referer is another site), so nothing was changed.'
      : !csrfMatches(c, session, form.csrf ?? '')
        ? 'This form\'s security token does not match your session (the page may be from an earlier sign-in); reload the page and try again. Nothing was changed.'
        : null;
    if (!why) return null;
    return c.html(errorPage(403, { code: 'forbidden', message: why }, null).toString(), 403);
  }

  function csrfMatches(c: InboxContext, session: InboxSession | null, presented: string): boolean {
    if (session && session.expiresAt !== null) return equalText(presented, auth.csrfToken(session));
    // No signed session (keyless mode, or the sign-in form): the token must repeat the cookie.
    const cookie = getCookie(c, csrfCookie);
    return cookie !== undefined && cookie.length >= 16 && equalText(presented, cookie);
  }

  /** The CSRF token of forms on this page: tied to the signed session, or the double-submit cookie. */
  function csrfFor(c: InboxContext, session: InboxSession): string {
    return session.expiresAt !== null ? auth.csrfToken(session) : doubleSubmitToken(c);
  }

  function viewerOf(c: InboxContext, session: InboxSession): Viewer {
    return { project: session.project, label: session.label, signedIn: auth.required, csrf: csrfFor(c, session) };
  }

  return app;
}

function resumeRequestOf(run: RunSnapshot, form: FormFields): { step: string; input: unknown; comment?: string } {
  const step = form[fields.step] ?? '';
  const pending = run.pendingAction;
  // The API's own refusals, in its order and words: the page says what a client of the API would read.
  if (finishedStatuses.includes(run.status)) throw new BatonError('run_finished', `run is ${run.status}`, { status: run.status });
  if (run.status !== 'paused' || !pending) throw new BatonError('run_not_paused', `run is ${run.status}, not paused`, { status: run.status });
  if (step !== pending.step) throw new BatonError('step_mismatch', `step "${pending.step}" is waiting, not "${step}"`, { expected: pending.step, received: step });
  // Reminders move the version on without changing what is proposed: any version since the pause will do.
  const shownVersion = Number(form[fields.version]);
  const pausedVersion = run.version - (pending.reminders ?? 0);
  if (pending.type === 'review' && form[fields.accept] !== undefined && !(Number.isInteger(shownVersion) && shownVersion >= pausedVersion && shownVersion <= run.version)) {
    // "Accept as is" sends what the run proposes now, which must be what the page showed.
    throw new BatonError('conflict', 'The run changed since this page was shown; read the proposed output again before accepting it.', { shownVersion: form[fields.version] ?? null, version: run.version });
  }
  const input = answerFromForm(pending, form);
  const comment = commentFromForm(form);
  return { step, input, ...(comment === undefined ? {} : { comment }) };
}

/** The submitted form, one string per name (the first when repeated); line breaks as \n. */
async function formOf(c: InboxContext): Promise<FormFields> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded|^multipart\/form-data/i.test(type)) return {};
  let body: FormData;
  try {
    body = await c.req.formData();
  } catch {
    throw new BatonError('invalid_request', 'The form could not be read.');
  }
  // No prototype: a field named __proto__ is a field like any other.
  const form = Object.create(null) as Record<string, string>;
  for (const [name, value] of body) {
    if (typeof value === 'string' && !Object.hasOwn(form, name)) form[name] = value.replace(/\r\n?/g, '\n');
  }
  return form;
}

function queryText(c: InboxContext, name: string): string | undefined {
  const value = c.req.query(name);
  return value ? value.slice(0, 400) : undefined;
}

/** `?limit=` as a whole number from 1 to 100, or undefined (the default page size). */
function queryLimit(c: InboxContext): number | undefined {
  const value = Number(c.req.query('limit'));
  return Number.isInteger(value) && value >= 1 ? Math.min(value, maxPageSize) : undefined;
}

/** POSTs must name this origin: browsers send Origin on form posts; Referer is the fallback. */
function sameOrigin(c: InboxContext): boolean {
  const host = new URL(c.req.url).host;
  const source = c.req.header('origin') ?? c.req.header('referer');
  if (!source || source === 'null') return false;
  try {
    return new URL(source).host === host;
  } catch {
    return false;
  }
}

function isHttps(c: InboxContext): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

function cookieOptions(c: InboxContext) {
  return { path: '/inbox', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) } as const;
}

/** The double-submit CSRF cookie's value, set now when the browser has none. */
function doubleSubmitToken(c: InboxContext): string {
  const chosen = c.get('doubleSubmit');
  if (chosen) return chosen;
  const existing = getCookie(c, csrfCookie);
  const value = existing && /^[A-Za-z0-9_-]{16,100}$/.test(existing) ? existing : newCsrfCookieValue();
  if (value !== existing) setCookie(c, csrfCookie, value, cookieOptions(c));
  c.set('doubleSubmit', value);
  return value;
}

/** Where to go after signing in: only the inbox's own pages. */
function safeNext(next: string | undefined): string {
  return next && /^\/inbox(\/runs\/[A-Za-z0-9_-]{1,200})?$/.test(next) ? next : '/inbox';
}

function toLogin(c: InboxContext): Response {
  const path = c.req.path;
  return c.redirect(`/inbox/login${path === '/inbox' ? '' : `?next=${encodeURIComponent(path)}`}`, 303);
}

/** For fragments, events and posts without a session: the page script reloads into the sign-in. */
function signedOut(c: InboxContext): Response {
  return c.html(errorPage(401, { code: 'unauthorized', message: 'Your inbox session has ended or was never started; sign in again.' }, null).toString(), 401);
}

const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

function securityHeaders(c: { header(name: string, value: string): void; res: Response }): void {
  c.header('Content-Security-Policy', contentSecurityPolicy);
  c.header('X-Frame-Options', 'DENY');
  // Same-origin requests keep their Referer (the POST origin check's fallback); other sites get none.
  c.header('Referrer-Policy', 'same-origin');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Cross-Origin-Opener-Policy', 'same-origin');
  c.header('Cross-Origin-Resource-Policy', 'same-origin');
  if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
}
