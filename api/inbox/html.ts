// Server-side HTML with hono/html: every interpolated value is escaped unless it is itself a
// fragment made here. Attribute values are always quoted, so escaping covers them too.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

export type Html = HtmlEscapedString;

/** A fragment; values are strings, numbers, other fragments, arrays of them, or nothing. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  // html`` only returns a promise when given one; nothing here is asynchronous.
  return html(strings, ...values) as Html;
}

/** The longest JSON shown in a page before it is cut (the run API has all of it). */
const maxShownJson = 20_000;

/** A value as indented JSON for a <pre> or a textarea, cut when very long. */
export function prettyJson(value: unknown, options: { cut?: boolean } = {}): string {
  const text = value === undefined ? 'null' : JSON.stringify(value, null, 2) ?? 'null';
  if (options.cut === false || text.length <= maxShownJson) return text;
  return `${text.slice(0, maxShownJson)}\n… (${text.length - maxShownJson} more characters; read the run over the API for all of it)`;
}

/** A timestamp as a <time> in UTC, with how long ago it was. */
export function timeAgo(iso: string, now: number): Html {
  const at = Date.parse(iso);
  return h`<time datetime="${iso}" title="${iso}">${formatUtc(iso)} <span class="ago">(${ago(now - at)})</span></time>`;
}

export function formatUtc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

function ago(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}
