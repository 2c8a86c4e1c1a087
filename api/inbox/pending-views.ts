// What a paused run asks, and the form that answers it, for each pending action type.
import type { PendingAction, QuorumProgress } from '../../src/domain/pending-action.ts';
import { fields, schemaFormFields, textFormatOf, type FormFields, type SchemaField, type TextFormat } from './inbox-answer.ts';
import { formatUtc, h, prettyJson, type Html } from './html.ts';

const typeLabels: Record<PendingAction['type'], string> = {
  confirmation: 'Confirmation',
  input: 'Input',
  review: 'Review',
  tool_approval: 'Tool approval',
};

/** The question: its message and what the human has to look at (options, tool call, proposed output, schema). */
export function pendingSummary(action: PendingAction): Html {
  return h`<div class="ask">
    <p class="ask-head"><span class="badge type-${action.type}">${typeLabels[action.type]}</span> <span class="step-name">step ${action.step}</span></p>
    <p class="message">${action.message}</p>
    ${askDetails(action)}
    ${deadline(action)}
  </div>`;
}

/**
 * When the question times out and how often its people were reminded. The run page swaps only
 * this part when a reminder is all that changed (inbox.js), so an answer being typed survives it.
 */
function deadline(action: PendingAction): Html {
  if (action.expiresAt === undefined && action.reminders === undefined) return h``;
  const until = action.expiresAt === undefined
    ? h``
    : action.expiresAt === null
      ? h`No deadline: waits until answered.`
      : h`Answer by <time datetime="${action.expiresAt}">${formatUtc(action.expiresAt)}</time>.`;
  const reminded = action.reminders === undefined || action.remindedAt === undefined
    ? h``
    : h` Reminded ${String(action.reminders)} time${action.reminders === 1 ? '' : 's'}, last at <time datetime="${action.remindedAt}">${formatUtc(action.remindedAt)}</time>.`;
  return h`<p class="deadline">${until}${reminded}</p>`;
}

function askDetails(action: PendingAction): Html {
  switch (action.type) {
    case 'confirmation':
      return h`<p class="options">Options: ${action.options.map((option) => h`<span class="option">${option}</span> `)}</p>${action.quorum ? quorumProgress(action.quorum) : ''}`;
    case 'tool_approval':
      return h`<p class="tool">Tool <code>${action.tool.name}</code> with arguments</p><pre class="json">${prettyJson(action.tool.arguments)}</pre>
        <p class="options">Options: ${action.options.map((option) => h`<span class="option">${option}</span> `)}</p>`;
    case 'review':
      return h`<p>Proposed output</p><pre class="json">${prettyJson(action.proposedOutput)}</pre>`;
    case 'input':
      return action.schema
        ? h`<details class="schema"><summary>JSON Schema of the answer</summary><pre class="json">${prettyJson(action.schema)}</pre></details>`
        : h`<p class="hint">Any answer (no schema).</p>`;
  }
}

/** An approval that needs several people: who may answer, who has (and what), how many are still needed. */
function quorumProgress(quorum: QuorumProgress): Html {
  const who = quorum.approvers ? h`of ${quorum.approvers.join(', ')}` : 'people';
  return h`<div class="quorum">
    <p class="quorum-need">Needs ${String(quorum.required)} different ${who} to choose <span class="option">${quorum.option}</span>: <strong class="quorum-remaining">${quorum.remaining === 1 ? '1 more needed' : `${quorum.remaining} more needed`}</strong>.
      <span class="hint">${quorum.otherAnswerEnds ? 'Another option ends the step at once.' : 'Another option only counts as that person\'s answer.'} Each person answers once.</span></p>
    ${quorum.answers.length === 0
      ? h`<p class="hint quorum-answers">No one has answered yet.</p>`
      : h`<ul class="quorum-answers">${quorum.answers.map((answer) => h`<li><strong>${answer.by.label ?? 'no label'}</strong> (${answer.by.via}) chose <span class="option">${answer.input}</span> <time datetime="${answer.at}">${answer.at}</time></li>`)}</ul>`}
  </div>`;
}

export interface AnswerFormOptions {
  runId: string;
  version: number;
  csrf: string;
  /** What was submitted when the page is shown again after a refused answer. */
  submitted?: FormFields;
}

/** The answer form for the pending action: buttons, a generated form or a textarea, and a comment. */
export function answerForm(action: PendingAction, options: AnswerFormOptions): Html {
  const submitted = options.submitted ?? {};
  return h`<form class="answer" method="post" action="/inbox/runs/${options.runId}/answer">
    <input type="hidden" name="csrf" value="${options.csrf}">
    <input type="hidden" name="${fields.step}" value="${action.step}">
    <input type="hidden" name="${fields.version}" value="${String(options.version)}">
    ${answerControls(action, submitted)}
    <label class="field">Comment <span class="hint">(optional; kept in the audit trail)</span>
      <textarea name="${fields.comment}" rows="2" maxlength="4000">${submitted[fields.comment] ?? ''}</textarea>
    </label>
    ${submitButtons(action)}
  </form>`;
}

function answerControls(action: PendingAction, submitted: FormFields): Html | null {
  switch (action.type) {
    case 'confirmation':
      return null;
    case 'tool_approval':
      return h`<details class="edit"${submitted[fields.editDecision] !== undefined ? ' open' : ''}>
        <summary>Edit the arguments before approving</summary>
        <label class="field">Arguments (JSON)
          <textarea name="${fields.arguments}" rows="6" class="code" spellcheck="false">${submitted[fields.arguments] ?? prettyJson(action.tool.arguments, { cut: false })}</textarea>
        </label>
        <button type="submit" name="${fields.editDecision}" value="approve" class="secondary">Approve with these arguments</button>
      </details>`;
    case 'review': {
      const format = formatOf(submitted[fields.outputFormat], textFormatOf(action.proposedOutput));
      const text = submitted[fields.output] ?? textOf(action.proposedOutput, format);
      return h`<details class="edit"${submitted[fields.output] !== undefined ? ' open' : ''}>
        <summary>Edit the output before sending it</summary>
        ${formatSelect(fields.outputFormat, format)}
        <label class="field">Output
          <textarea name="${fields.output}" rows="8" class="code" spellcheck="false">${text}</textarea>
        </label>
        <button type="submit" name="send_edited" value="1" class="secondary">Send the edited output</button>
      </details>`;
    }
    case 'input': {
      const formFields = schemaFormFields(action.schema);
      if (formFields) return h`<fieldset class="schema-form"><legend>Answer</legend>${formFields.map((field) => schemaInput(field, submitted))}</fieldset>`;
      const format = formatOf(submitted[fields.answerFormat], action.schema ? 'json' : 'text');
      return h`${formatSelect(fields.answerFormat, format)}
        <label class="field">Answer
          <textarea name="${fields.answer}" rows="6" class="code" spellcheck="false">${submitted[fields.answer] ?? ''}</textarea>
        </label>`;
    }
  }
}

function submitButtons(action: PendingAction): Html {
  switch (action.type) {
    case 'confirmation':
    case 'tool_approval':
      return h`<div class="buttons">${action.options.map((option) => h`<button type="submit" name="${fields.choice}" value="${option}">${option}</button> `)}</div>`;
    case 'review':
      return h`<div class="buttons"><button type="submit" name="${fields.accept}" value="1">Accept as is</button></div>`;
    case 'input':
      return h`<div class="buttons"><button type="submit" name="send" value="1">Send</button></div>`;
  }
}

function schemaInput(field: SchemaField, submitted: FormFields): Html {
  const name = fields.property(field.name);
  const label = h`<span class="field-name">${field.title ?? field.name}${field.required ? h`<span class="required" title="required"> *</span>` : ''}</span>${field.description ? h` <span class="hint">${field.description}</span>` : ''}`;
  const given = submitted[name];
  switch (field.kind) {
    case 'boolean': {
      const checked = Object.keys(submitted).length > 0 ? given !== undefined : field.default === true;
      return h`<label class="field check"><input type="checkbox" name="${name}" value="true"${checked ? ' checked' : ''}> ${label}</label>`;
    }
    case 'enum': {
      const chosen = given ?? (field.default === undefined ? '' : JSON.stringify(field.default));
      return h`<label class="field">${label}
        <select name="${name}"${field.required ? ' required' : ''}>
          ${field.required && chosen !== '' ? '' : h`<option value="">—</option>`}
          ${field.options.map((option) => {
            const value = JSON.stringify(option);
            return h`<option value="${value}"${value === chosen ? ' selected' : ''}>${typeof option === 'string' ? option : value}</option>`;
          })}
        </select></label>`;
    }
    case 'number':
    case 'integer': {
      const value = given ?? (typeof field.default === 'number' ? String(field.default) : '');
      return h`<label class="field">${label}
        <input type="number" name="${name}" value="${value}" step="${field.kind === 'integer' ? '1' : 'any'}"${field.required ? ' required' : ''}></label>`;
    }
    case 'string': {
      const value = given ?? (typeof field.default === 'string' ? field.default : '');
      return h`<label class="field">${label}
        <input type="text" name="${name}" value="${value}"${field.required ? ' required' : ''}></label>`;
    }
  }
}

function formatSelect(name: string, format: TextFormat): Html {
  return h`<label class="field inline">Send as
    <select name="${name}">
      <option value="text"${format === 'text' ? ' selected' : ''}>text</option>
      <option value="json"${format === 'json' ? ' selected' : ''}>JSON</option>
    </select></label>`;
}

function formatOf(submitted: string | undefined, fallback: TextFormat): TextFormat {
  return submitted === 'json' || submitted === 'text' ? submitted : fallback;
}

function textOf(value: unknown, format: TextFormat): string {
  return format === 'text' && typeof value === 'string' ? value : prettyJson(value, { cut: false });
}
