import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import type { AgentContext, httpAgentConfigSchema } from '../domain/agent.ts';
import { egressFailure, egressRefusal, shownUrl, type EgressPolicy } from '../security/egress-policy.ts';
import { secretRefusalFailure, type ProjectSecrets } from '../security/project-secrets.ts';
import { signBatonRequest, signatureHeader, timestampHeader } from '../security/request-signature.ts';

// Webhooks sign with the same functions; http agent receivers import them from here.
export { signatureHeader, signBatonRequest, timestampHeader, verifyBatonSignature } from '../security/request-signature.ts';

export type HttpAgentConfig = z.infer<typeof httpAgentConfigSchema>;

export const defaultHttpAgentTimeoutMs = 30_000;
// Enough of an error body to diagnose, short enough for a run's error message and history.
const maxErrorBodyChars = 1_000;

export interface HttpAgentCall {
  agentId: string;
  config: HttpAgentConfig;
  context: AgentContext;
}

export interface HttpAgentDeps {
  /** secretEnv and header references are read through the grants of the context's project. */
  secrets: ProjectSecrets;
  /** Where the call may go: every tenant-aimed URL passes this policy. */
  egress: EgressPolicy;
  /** The activity's cancellation signal. */
  signal?: AbortSignal;
  nowMs?: () => number;
}

/**
 * POSTs the step context to the agent's URL and returns its answer: the JSON body of a 2xx
 * response, or its text when it is not JSON. Network errors, timeouts, 408, 429 and 5xx throw
 * retryable failures (Temporal retries the activity); other statuses mean the request itself is
 * wrong, so they fail the step at once. Both carry the status and the start of the body. A
 * destination the egress policy refuses fails the step at once with `egress_refused`.
 */
export async function callHttpAgent(call: HttpAgentCall, deps: HttpAgentDeps): Promise<unknown> {
  const { agentId, config, context } = call;
  // Every secret is resolved before anything is sent, so a refused one leaves nothing on the wire.
  const readSecret = (variable: string, use: string): string => {
    const resolved = deps.secrets.resolve(context.project, variable);
    if (!resolved.granted) throw secretRefusalFailure(resolved.refusal, agentId);
    if (resolved.value !== undefined) return resolved.value;
    throw ApplicationFailure.create({
      type: 'agent_not_configured',
      nonRetryable: true,
      message: `http agent "${agentId}" ${use} ${variable}, which is not set in the worker's environment`,
    });
  };
  const secret = config.secretEnv === undefined ? undefined : readSecret(config.secretEnv, 'signs its requests with the secret in');
  const configured = Object.fromEntries(Object.entries(config.headers ?? {}).map(([name, value]) => [
    name,
    typeof value === 'string' ? value : `${value.prefix ?? ''}${readSecret(value.secretEnv, `sends the ${name} header from`)}`,
  ]));
  const body = JSON.stringify(context);
  const timestamp = String(Math.floor((deps.nowMs?.() ?? Date.now()) / 1000));
  const headers: Record<string, string> = {
    ...configured,
    'content-type': 'application/json',
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    'x-baton-run-id': context.runId,
    'x-baton-step': context.step,
    [timestampHeader]: timestamp,
    ...(secret ? { [signatureHeader]: signBatonRequest(secret, timestamp, body) } : {}),
  };
  const timeoutMs = config.timeoutMs ?? defaultHttpAgentTimeoutMs;
  const signals = [AbortSignal.timeout(timeoutMs), ...(deps.signal ? [deps.signal] : [])];
  const where = `http agent "${agentId}" (POST ${shownUrl(config.url)})`;

  let response: Response;
  let text: string;
  try {
    response = await deps.egress.fetch(config.url, { method: 'POST', headers, body, signal: AbortSignal.any(signals) });
    text = await response.text();
  } catch (error) {
    if (deps.signal?.aborted) throw error;
    const refusal = egressRefusal(error);
    if (refusal) throw egressFailure(refusal, where);
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : (error as Error).message;
    throw ApplicationFailure.create({
      type: 'agent_unavailable',
      message: timedOut ? `${where} did not answer within ${timeoutMs} ms` : `${where} is unreachable: ${cause}`,
    });
  }
  if (!response.ok) {
    const status = response.status;
    const retryable = status === 408 || status === 429 || status >= 500;
    const excerpt = text.length > maxErrorBodyChars ? `${text.slice(0, maxErrorBodyChars)}…` : text;
    // The egress policy never follows a redirect: its target was not checked.
    const location = status >= 300 && status < 400 ? response.headers.get('location') : null;
    const redirect = location === null ? '' : ` (a redirect to ${shownUrl(location)}, which Baton does not follow)`;
    throw ApplicationFailure.create({
      type: retryable ? 'agent_unavailable' : 'agent_rejected',
      nonRetryable: !retryable,
      message: `${where} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}${redirect}: ${excerpt || '(empty body)'}`,
      details: [{ status, body: excerpt }],
    });
  }
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
