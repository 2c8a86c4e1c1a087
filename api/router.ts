import { OpenAPIHono } from '@hono/zod-openapi';
import { BatonError } from '../src/domain/errors.ts';
import type { AppEnv } from './env.ts';

/**
 * Every resource's sub-app is made here, so all share one validation hook: a request that fails
 * its zod schema becomes a BatonError('invalid_request') with the zod issues as details, and the
 * app's single onError turns it into the documented error body.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      // A required JSON body that is absent reaches the validator as `{}`; a schema whose fields are
      // all optional (a PATCH) would otherwise accept the request as if it said "change nothing".
      if (result.target === 'json' && !c.req.header('content-type')) {
        throw new BatonError('invalid_request', 'This request needs a JSON body (Content-Type: application/json).');
      }
      if (!result.success) {
        throw new BatonError('invalid_request', 'The request does not match the schema.', result.error.issues);
      }
    },
  });
}
