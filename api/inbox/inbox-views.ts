// The inbox's pages. Each live page has one region (#live) that the page script replaces with a
// fresh fragment from the server when the run feed says something changed.
import type { AnswerRecord, RunSnapshot, StepRecord } from '../../src/domain/run.ts';
import type { FormFields } from './inbox-answer.ts';
import { formatUtc, h, prettyJson, timeAgo, type Html } from './html.ts';
import { answerForm, pendingSummary } from './pending-views.ts';

/** Who is looking, for the page header. */
export interface Viewer {
  project: string;
  label: string | null;
  /** Whether signing out means anything (keys configured). */
  signedIn: boolean;
  csrf: string;
}

export interface ErrorNotice {
  code: string;
  message: string;
  details?: unknown;
}

export function page(title: string, viewer: Viewer | null, body: Html): Html {
  return h`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Baton inbox</title>
<link rel="stylesheet" href="/inbox/assets/inbox.css">
<script src="/inbox/assets/inbox.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/inbox">Baton inbox</a>
  ${viewer ? h`<span class="who">project <strong>${viewer.project}</strong>${viewer.label ? h` · ${viewer.label}` : ''}</span>
  <span class="live-status" id="live-status" hidden></span>
  ${viewer.signedIn ? h`<form class="logout" method="post" action="/inbox/logout"><input type="hidden" name="csrf" value="${viewer.csrf}"><button type="submit" class="link">Sign out</button></form>` : ''}` : ''}
</header>
<main>
${body}
</main>
</body>
</html>`;
}

export function errorBox(error: ErrorNotice | undefined): Html | string {
  if (!error) return '';
  return h`<div class="error" role="alert">
    <p><strong>${error.message}</strong> <code>${error.code}</code></p>
    ${error.details === undefined ? '' : h`<pre class="json">${prettyJson(error.details)}</pre>`}
  </div>`;
}

// ---- the list -------------------------------------------------------------------------------

export interface ListFilter {
  definitionId?: string | undefined;
  agent?: string | undefined;
  cursor?: string | undefined;
  /** Runs per page when the address names one (`?limit=`). */
  limit?: number | undefined;
}

export interface ListView {
  filter: ListFilter;
  runs: RunSnapshot[];
  nextCursor: string | null;
  total: number;
  /** Definitions and agents for the filter form: id → name, and agent slugs. */
  definitions: Array<{ id: string; name: string }>;
  agents: string[];
  now: number;
}

export function listQuery(filter: ListFilter): string {
  const params = new URLSearchParams();
  if (filter.definitionId) params.set('definition', filter.definitionId);
  if (filter.agent) params.set('agent', filter.agent);
  if (filter.limit) params.set('limit', String(filter.limit));
  if (filter.cursor) params.set('cursor', filter.cursor);
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function listPage(view: ListView, viewer: Viewer): Html {
  const definitions = withSelected(view.definitions, view.filter.definitionId);
  const agents = [...new Set([...view.agents, ...(view.filter.agent ? [view.filter.agent] : [])])].sort();
  return page('Paused runs', viewer, h`
<h1>Paused runs</h1>
<form class="filters" method="get" action="/inbox">
  <label>Workflow
    <select name="definition">
      <option value="">any</option>
      ${definitions.map((definition) => h`<option value="${definition.id}"${definition.id === view.filter.definitionId ? ' selected' : ''}>${definition.name} (${definition.id})</option>`)}
    </select>
  </label>
  <label>Agent
    <select name="agent">
      <option value="">any</option>
      ${agents.map((agent) => h`<option value="${agent}"${agent === view.filter.agent ? ' selected' : ''}>${agent}</option>`)}
    </select>
  </label>
  ${view.filter.limit ? h`<input type="hidden" name="limit" value="${String(view.filter.limit)}">` : ''}
  <button type="submit">Filter</button>
  ${view.filter.definitionId || view.filter.agent ? h`<a href="/inbox">Clear</a>` : ''}
</form>
${listRegion(view)}`);
}

/** The live region of the list: replaced whole when runs change. */
export function listRegion(view: ListView): Html {
  const { filter } = view;
  return h`<section id="live" data-events="/inbox/events" data-fragment="/inbox/fragments/list${listQuery(filter)}">
  <p class="count">${view.total === 1 ? '1 run waits' : `${view.total} runs wait`} for an answer${filter.definitionId || filter.agent ? ' (filtered)' : ''}, oldest first.</p>
  ${view.runs.length === 0
    ? h`<p class="empty">Nothing to answer${filter.cursor ? ' on this page' : ''}.</p>`
    : h`<ol class="runs">${view.runs.map((run) => listItem(run, view.now))}</ol>`}
  <nav class="pages">
    ${filter.cursor ? h`<a href="/inbox${listQuery({ ...filter, cursor: undefined })}">First page</a>` : ''}
    ${view.nextCursor ? h`<a rel="next" href="/inbox${listQuery({ ...filter, cursor: view.nextCursor })}">Next page</a>` : ''}
  </nav>
</section>`;
}

function listItem(run: RunSnapshot, now: number): Html {
  return h`<li class="run" data-run-id="${run.runId}">
  <div class="run-head">
    <a class="run-link" href="/inbox/runs/${run.runId}">${run.definitionName}</a>
    <span class="run-id">${run.runId}</span>
    ${run.agent ? h`<span class="agent">agent ${run.agent}</span>` : ''}
    <span class="since">${run.pendingAction?.reminders ? 'reminded' : 'paused'} ${timeAgo(run.updatedAt, now)}</span>
  </div>
  ${run.pendingAction ? pendingSummary(run.pendingAction) : h`<p class="hint">No question recorded.</p>`}
  <p><a class="answer-link" href="/inbox/runs/${run.runId}">Answer</a></p>
</li>`;
}

function withSelected(definitions: Array<{ id: string; name: string }>, selected: string | undefined) {
  if (!selected || definitions.some((definition) => definition.id === selected)) return definitions;
  return [...definitions, { id: selected, name: selected }];
}

// ---- one run ------------------------------------------------------------------------------

export interface RunView {
  run: RunSnapshot;
  csrf: string;
  now: number;
  error?: ErrorNotice;
  submitted?: FormFields;
}

export function runPage(view: RunView, viewer: Viewer): Html {
  return page(`${view.run.definitionName} ${view.run.runId}`, viewer, h`
<p class="back"><a href="/inbox">← Paused runs</a></p>
${runRegion(view)}`);
}

/**
 * What a reminder leaves as it was: the status, the waiting step, the steps and the answers. Two
 * versions with the same key ask the same question, so the page keeps its form (inbox.js).
 */
function questionKey(run: RunSnapshot): string {
  return `${run.status}/${run.pendingAction?.step ?? ''}/${run.steps.length}/${run.answers?.length ?? 0}`;
}

/** The live region of a run: replaced when the run's version moves past the one shown. */
export function runRegion(view: RunView): Html {
  const { run } = view;
  return h`<section id="live" data-events="/inbox/events" data-fragment="/inbox/runs/${run.runId}/fragment" data-run-id="${run.runId}" data-version="${String(run.version)}" data-question="${questionKey(run)}">
  <h1>${run.definitionName} <span class="run-id">${run.runId}</span></h1>
  <dl class="facts">
    <dt>Status</dt><dd><span class="status status-${run.status}">${run.status}</span></dd>
    <dt>Workflow</dt><dd>${run.definitionId}</dd>
    ${run.agent ? h`<dt>Agent</dt><dd>${run.agent}</dd>` : ''}
    <dt>Session</dt><dd>${run.sessionId}</dd>
    ${run.forkedFrom ? h`<dt>Forked from</dt><dd><a class="parent-run" href="/inbox/runs/${run.forkedFrom.runId}">${run.forkedFrom.runId}</a> at step ${run.forkedFrom.step}</dd>` : ''}
    <dt>Started</dt><dd>${timeAgo(run.createdAt, view.now)}</dd>
    <dt>Updated</dt><dd>${timeAgo(run.updatedAt, view.now)}</dd>
  </dl>
  ${errorBox(view.error)}
  ${run.status === 'paused' && run.pendingAction
    ? h`<section class="question"><h2>Waiting for an answer</h2>
        ${pendingSummary(run.pendingAction)}
        ${answerForm(run.pendingAction, { runId: run.runId, version: run.version, csrf: view.csrf, ...(view.submitted ? { submitted: view.submitted } : {}) })}
      </section>`
    : outcome(run)}
  <section class="timeline"><h2>Steps</h2>
    ${run.steps.length === 0 ? h`<p class="hint">No step has started yet.</p>` : h`<ol class="steps">${run.steps.map((step) => stepItem(step, view.now))}</ol>`}
  </section>
  <section class="audit"><h2>Answers</h2>
    ${auditTrail(run.answers)}
  </section>
</section>`;
}

function outcome(run: RunSnapshot): Html {
  if (run.status === 'completed') return h`<section class="outcome"><h2>Result</h2><pre class="json">${prettyJson(run.result)}</pre></section>`;
  if (run.error) return h`<section class="outcome"><h2>Error</h2><p><code>${run.error.code}</code>${run.error.step ? h` in step ${run.error.step}` : ''}: ${run.error.message}</p></section>`;
  if (run.status === 'running') return h`<section class="outcome"><p class="hint">The run is working; this page follows it.</p></section>`;
  return h`<section class="outcome"><p class="hint">The run is ${run.status}.</p></section>`;
}

function stepItem(step: StepRecord, now: number): Html {
  return h`<li class="step step-${step.status}">
  <p class="step-head"><strong>${step.name}</strong> <span class="hint">${step.type}${step.agentId ? ` · ${step.agentId}` : ''}</span>
    <span class="status status-${step.status}">${step.status}</span>
    ${step.origin ? h`<span class="hint origin">${step.origin === 'copied' ? 'copied from the parent run' : 'output given by the fork'}</span>` : ''}
    <span class="hint">started ${timeAgo(step.startedAt, now)}${step.completedAt ? h`, done ${formatUtc(step.completedAt)}` : ''}</span></p>
  <details><summary>Input</summary><pre class="json">${prettyJson(step.input)}</pre></details>
  ${step.status === 'completed' ? h`<details open><summary>Output</summary><pre class="json">${prettyJson(step.output)}</pre></details>` : ''}
</li>`;
}

function auditTrail(answers: AnswerRecord[] | undefined): Html {
  if (!answers || answers.length === 0) return h`<p class="hint">No answers yet.</p>`;
  return h`<table class="answers">
  <thead><tr><th>When</th><th>Who</th><th>Step</th><th>Answer</th><th>Comment</th></tr></thead>
  <tbody>${answers.map((answer) => h`<tr>
    <td>${formatUtc(answer.at)}</td>
    <td class="by">${answer.by.label ? h`${answer.by.label} ` : ''}<span class="hint">via ${answer.by.via}</span></td>
    <td>${answer.step} <span class="hint">${answer.type}</span></td>
    <td><pre class="json">${prettyJson(answer.input)}</pre></td>
    <td class="comment">${answer.comment ?? ''}</td>
  </tr>`)}</tbody>
</table>`;
}

// ---- sign-in and errors -------------------------------------------------------------------

export function loginPage(options: { csrf: string; next: string; error?: string }): Html {
  return page('Sign in', null, h`
<h1>Sign in</h1>
<p>Sign in with one of this Baton's API keys (BATON_API_KEYS). The key names your project; the inbox keeps a session for 12 hours and never stores the key.</p>
${options.error ? h`<div class="error" role="alert"><p><strong>${options.error}</strong></p></div>` : ''}
<form class="login" method="post" action="/inbox/login">
  <input type="hidden" name="csrf" value="${options.csrf}">
  <input type="hidden" name="next" value="${options.next}">
  <label class="field">API key <input type="password" name="key" autocomplete="current-password" required autofocus></label>
  <button type="submit">Sign in</button>
</form>`);
}

export function errorPage(status: number, error: ErrorNotice, viewer: Viewer | null): Html {
  return page(`Error ${status}`, viewer, h`
<p class="back"><a href="/inbox">← Paused runs</a></p>
<h1>${status === 404 ? 'Not found' : 'Something went wrong'}</h1>
${errorBox(error)}`);
}
