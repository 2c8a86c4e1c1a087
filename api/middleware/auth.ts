import { createHash, timingSafeEqual } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { BatonError } from '../../src/domain/errors.ts';
import type { AppEnv } from '../env.ts';

/** With no keys configured there is one project and the API listens on 127.0.0.1 only (config). */
export const DEFAULT_PROJECT = 'default';

/**
 * Bearer-key auth for the API surface: the key names the caller's project, which every handler
 * reads from `c.get('project')` so no key can reach another project's data, and `c.get('caller')`
 * says who answers a paused run (the key's label from `labels`, null for a key without one).
 */
export function apiKeyAuth(apiKeys: ReadonlyMap<string, string>, labels: ReadonlyMap<string, string> = new Map()) {
  // Compare digests of equal length in constant time, so response timing reveals nothing about keys.
  const digests = [...apiKeys].map(([key, project]) => ({ digest: sha256(key), project, label: labels.get(key) ?? null }));
  return createMiddleware<AppEnv>(async (c, next) => {
    if (digests.length === 0) {
      c.set('project', DEFAULT_PROJECT);
      c.set('caller', { via: 'api', label: null });
      return await next();
    }
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new BatonError('unauthorized', header ? 'The Authorization header must be "Bearer <api key>".' : 'Missing API key: send "Authorization: Bearer <api key>".');
    }
    const presented = sha256(match[1]);
    let found: (typeof digests)[number] | undefined;
    for (const entry of digests) {
      if (timingSafeEqual(entry.digest, presented)) found ??= entry;
    }
    if (!found) throw new BatonError('unauthorized', 'Unknown API key.');
    c.set('project', found.project);
    c.set('caller', { via: 'api', label: found.label });
    return await next();
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
