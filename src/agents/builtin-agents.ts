// Offline agents every worker has: useful on their own (glue between steps) and for trying Baton
// without a model. Documented in the README under "Built-in agents".
import { ApplicationFailure } from '@temporalio/common';
import { lookupPath, renderTemplate } from '../domain/template.ts';
import type { AgentRegistry, FunctionAgentSpec } from './agent-registry.ts';

/** `echo`: returns its input unchanged (a pass-through step, or a placeholder while designing). */
export const echoAgent: FunctionAgentSpec = {
  kind: 'function',
  local: true,
  description: 'Returns its input unchanged.',
  run: async (context) => context.input ?? null,
};

/**
 * `template`: renders the step's action as a template over the step context and returns the text,
 * e.g. action "Dear {{state.name}}, your order {{steps.order.output.id}} shipped."
 */
export const templateAgent: FunctionAgentSpec = {
  kind: 'function',
  local: true,
  description: 'Renders its action as a {{…}} template over task, state, input and steps; returns the text.',
  run: async (context) => renderTemplate(context.action, context),
};

/**
 * `json-extract`: parses JSON out of its input (a bare JSON text, a ```json fence, or the first
 * {…} / […] block in prose, as models tend to answer). When the action is a path such as
 * `$.category` or `$.items.0.id`, returns the value at that path, so a later `next` can branch on it.
 */
export const jsonExtractAgent: FunctionAgentSpec = {
  kind: 'function',
  local: true,
  description: 'Parses JSON out of its input text; an action like "$.category" picks one field.',
  run: async (context) => {
    const value = typeof context.input === 'string' ? extractJson(context.input) : context.input;
    const path = /^\$(?:\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*))?$/.exec(context.action.trim());
    if (!path) return value ?? null;
    const picked = path[1] === undefined ? value : lookupPath(value, path[1]);
    if (picked === undefined) throw ApplicationFailure.nonRetryable(`json-extract: nothing at ${context.action.trim()}`, 'json_extract_failed');
    return picked;
  },
};

export const builtinAgents = { echo: echoAgent, template: templateAgent, 'json-extract': jsonExtractAgent } as const;

export function registerBuiltinAgents(registry: AgentRegistry): AgentRegistry {
  for (const [id, agent] of Object.entries(builtinAgents)) registry.register(id, agent);
  return registry;
}

/** The JSON value in `text`; a failure is not retryable, since the same text would fail again. */
export function extractJson(text: string): unknown {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*\n?([\s\S]*?)```/i.exec(trimmed);
  const candidates = [trimmed, fenced?.[1]?.trim(), firstBracketed(trimmed)];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the next reading of the text
    }
  }
  throw ApplicationFailure.nonRetryable('json-extract: the input holds no JSON', 'json_extract_failed', { input: trimmed.slice(0, 200) });
}

/** The first balanced {…} or […] block, skipping brackets inside strings. */
function firstBracketed(text: string): string | undefined {
  const start = text.search(/[[{]/);
  if (start === -1) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return undefined;
}
