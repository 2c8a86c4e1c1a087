// Message templates: `{{task}}`, `{{state.leadId}}`, `{{input}}`, `{{steps.classify.output.category}}`.
// Pure and deterministic, so workflow code renders pending-action messages with it during replay.

/** What a template can name; agents' context and the workflow's step scope both fit it. */
export type TemplateScope = {
  task?: string;
  state?: Record<string, unknown>;
  input?: unknown;
  steps?: Record<string, { output: unknown }>;
  [name: string]: unknown;
};

// Segments are slugs or array indices; step names may contain '-', so it is allowed in a segment.
const placeholder = /\{\{\s*([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

/** The value at a dotted path, reading own properties only (no `constructor`, no `__proto__`). */
export function lookupPath(scope: unknown, path: string): unknown {
  let value: unknown = scope;
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** How a value reads inside text: strings as they are, missing values as nothing, the rest as JSON. */
export function formatTemplateValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/**
 * Replaces every `{{path}}` with the value at that path in `scope`. A path that names nothing
 * renders as the empty string, so a message never shows raw braces to a human.
 */
export function renderTemplate(template: string, scope: TemplateScope): string {
  return template.replace(placeholder, (_match, path: string) => formatTemplateValue(lookupPath(scope, path)));
}

/** The paths a template refers to, in order of appearance (for definition checks and docs). */
export function templatePaths(template: string): string[] {
  return [...template.matchAll(placeholder)].map((match) => match[1] ?? '');
}

/** The names a step message may start a path with: what the workflow renders it with. */
export const messageScopeRoots = ['task', 'state', 'input', 'steps'] as const;

/**
 * Why a step message would not render as written, empty when it is sound: every `{{` must open a
 * placeholder renderTemplate reads, and each path must start at a name the workflow provides.
 */
export function messageTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  const readable = new Set([...template.matchAll(placeholder)].map((match) => match.index));
  for (let at = template.indexOf('{{'); at !== -1; at = template.indexOf('{{', at + 2)) {
    // `{{{x}}}` holds a placeholder one character in; only an opening no placeholder starts at is bad.
    if (!readable.has(at) && !readable.has(at + 1)) problems.push(`"${template.slice(at, at + 40)}" is not a placeholder such as {{state.name}}`);
  }
  for (const path of templatePaths(template)) {
    const root = path.split('.')[0] ?? '';
    if (!(messageScopeRoots as readonly string[]).includes(root)) problems.push(`{{${path}}} names "${root}"; a message can name ${messageScopeRoots.join(', ')}`);
  }
  return problems;
}
