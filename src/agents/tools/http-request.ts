import { z } from 'zod';
import { egressPolicyFromEnv, egressRefusal, shownUrl, type EgressPolicy } from '../../security/egress-policy.ts';
import { ToolError, type ToolDefinition } from './tool-registry.ts';

export const httpToolAllowEnv = 'BATON_HTTP_TOOL_ALLOW';

/**
 * Parses BATON_HTTP_TOOL_ALLOW: comma-separated host names, optionally with a port
 * (`localhost:8080`) or a leading `*.` for any subdomain (`*.example.com`). It narrows the tool
 * further than the egress policy: a request must pass both.
 */
export function parseHostAllowList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((entry) => entry.trim().toLowerCase()).filter((entry) => entry.length > 0);
}

/** True when the URL's host (and port, if the entry names one) is on the allow-list. */
export function isHostAllowed(url: URL, allowList: readonly string[]): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowList.some((entry) => {
    const portMatch = /^(.*):(\d+)$/.exec(entry);
    const entryHost = (portMatch ? portMatch[1]! : entry).replace(/^\[|\]$/g, '');
    if (portMatch && portMatch[2] !== port) return false;
    return entryHost.startsWith('*.') ? host.endsWith(entryHost.slice(1)) : host === entryHost;
  });
}

const httpRequestParameters = z.object({
  method: z.enum(['GET', 'POST']).default('GET'),
  url: z.string().describe('Absolute http(s) URL on an allowed host'),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional()
    .describe('POST body: text, or JSON sent with content-type application/json'),
});

export interface HttpRequestToolOptions {
  allowList: readonly string[];
  timeoutMs?: number;
  /** Longer response bodies are cut, so one page cannot flood the model's context or the history. */
  maxResponseChars?: number;
  /** Where requests may go besides the allow-list (default: public addresses only). */
  egress?: EgressPolicy;
}

export function createHttpRequestTool(options: HttpRequestToolOptions): ToolDefinition<typeof httpRequestParameters> {
  const { allowList, timeoutMs = 15_000, maxResponseChars = 20_000 } = options;
  const egress = options.egress ?? egressPolicyFromEnv({});
  return {
    name: 'http_request',
    description: `Sends an HTTP GET or POST request and returns the status and the (possibly truncated) body. Allowed hosts: ${allowList.join(', ') || 'none'}.`,
    parameters: httpRequestParameters,
    async run({ method, url, headers, body }, ctx) {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new ToolError(`"${url}" is not an absolute URL`);
      }
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new ToolError(`only http and https URLs are allowed, not ${target.protocol}`);
      if (!isHostAllowed(target, allowList)) {
        throw new ToolError(`host "${target.host}" is not allowed; allowed hosts (${httpToolAllowEnv}): ${allowList.join(', ') || 'none'}`);
      }
      if (method === 'GET' && body !== undefined) throw new ToolError('a GET request cannot have a body');
      const isJson = body !== undefined && typeof body !== 'string';
      const requestHeaders: Record<string, string> = { ...(isJson ? { 'content-type': 'application/json' } : {}), ...headers };
      let response: Response;
      try {
        // Redirects are not followed (the egress policy answers the 3xx): the next hop was not checked.
        response = await egress.fetch(target, {
          method,
          headers: requestHeaders,
          body: body === undefined ? undefined : isJson ? JSON.stringify(body) : body,
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        // Told to the model like any refusal: the run goes on, and the refused host received nothing.
        const refusal = egressRefusal(error);
        if (refusal) throw new ToolError(`${method} ${shownUrl(target.href)} was refused: ${refusal.message}`);
        const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
        const reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : `failed${cause}`;
        throw new ToolError(`${method} ${target.href} ${reason}`);
      }
      const text = await response.text();
      return {
        status: response.status,
        contentType: response.headers.get('content-type'),
        ...(response.headers.has('location') ? { location: response.headers.get('location') } : {}),
        body: text.length > maxResponseChars ? text.slice(0, maxResponseChars) : text,
        truncated: text.length > maxResponseChars,
      };
    },
  };
}
