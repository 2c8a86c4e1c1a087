import { createRoute, z } from '@hono/zod-openapi';
import { agentCreateSchema, agentPatchSchema, agentSchema, type Agent } from '../../src/domain/agent.ts';
import { pageQuerySchema } from '../../src/domain/definition-input.ts';
import { BatonError } from '../../src/domain/errors.ts';
import { assertAgentSecretsAllowed, redactAgentSecrets } from '../../src/security/agent-secret-references.ts';
import type { ProjectSecrets } from '../../src/security/project-secrets.ts';
import type { StoredAgent } from '../../src/store/agents.ts';
import type { Store } from '../../src/store/open-store.ts';
import { createRouter } from '../router.ts';
import { agentPageSchema, commonErrors, conflict, jsonBody, jsonResponse, mergePatchBody, noContent, pathIdSchema } from './agent-manager-schemas.ts';
import { bodyErrors, errorResponse, notFound } from './openapi-errors.ts';
import { links } from './openapi-links.ts';

/** A function agent registered in the worker, listed read-only. */
export interface BuiltinAgent {
  id: string;
  kind: 'function';
  description?: string | null;
}

export interface AgentRoutesDeps {
  store: Pick<Store, 'agents'>;
  /** Which variables each project's agents may reference; an agent reading any other is refused (422). */
  secrets: ProjectSecrets;
  /** The worker registry's function agents; read on every request, so registrations show up. */
  builtinAgents: () => BuiltinAgent[];
}

const tags = ['Agent Manager: agents'];
const secretsDescription = 'Secrets are never stored: `apiKeyEnv`, `secretEnv` and header references `{"secretEnv": "VAR", "prefix": "Bearer "}` '
  + 'name an environment variable of the worker that the operator grants to this project (BATON_PROJECT_SECRETS). '
  + 'Credential headers (Authorization, Cookie, X-Api-Key, names with token, secret, key, auth or password) must be references. '
  + 'Responses show only variable names.';
const secretRefused = {
  422: errorResponse('secret_not_granted: the config reads a variable this project is not granted, or one of Baton\'s own settings (the message names it); '
    + 'unprocessable: a credential header given in plain text'),
};
const idParam = z.object({ id: pathIdSchema });
const agentId = { id: '$response.body#/id' };

const listRoute = createRoute({
  method: 'get', path: '/agents', tags, operationId: 'listAgents', summary: 'List every known agent: built-in function agents first, then stored ones, by id',
  request: { query: pageQuerySchema },
  responses: { 200: jsonResponse(agentPageSchema, 'A Spring-style page of agents'), ...commonErrors },
});
const createAgentRoute = createRoute({
  method: 'post', path: '/agents', tags, operationId: 'createAgent', summary: 'Create an http or llm agent',
  description: secretsDescription,
  request: { body: jsonBody(agentCreateSchema) },
  responses: {
    200: {
      ...jsonResponse(agentSchema, 'The created agent'),
      links: links({ GetAgent: ['getAgent', agentId], UpdateAgent: ['updateAgent', agentId], DeleteAgent: ['deleteAgent', agentId] }),
    },
    ...commonErrors, ...bodyErrors, ...conflict('an agent with this id already exists'), ...secretRefused,
  },
});
const getRoute = createRoute({
  method: 'get', path: '/agents/{id}', tags, operationId: 'getAgent', summary: 'Get an agent',
  request: { params: idParam },
  responses: { 200: jsonResponse(agentSchema, 'The agent'), ...commonErrors, ...notFound('agent_not_found') },
});
const patchRoute = createRoute({
  method: 'patch', path: '/agents/{id}', tags, operationId: 'updateAgent', summary: 'Update an agent with a JSON Merge Patch (RFC 7396)',
  description: 'The body is merged into the stored agent (RFC 7396): `{"config": {"temperature": 0.2}}` changes the temperature and keeps the rest of the config; '
    + 'objects merge key by key, `null` removes a key (`{"config": {"system": null}}`), arrays (such as `tools`) and other values replace. '
    + 'The merged config must be a valid config of the agent\'s kind, without unknown keys (400 with the zod issues otherwise; nothing changes). '
    + 'Sent as `application/merge-patch+json` or `application/json`. '
    + 'A patch that touches `config` has the whole merged config checked against the project\'s secrets, so a plain-text credential header stored before references existed must be replaced in the same patch, '
    + 'e.g. `{"config": {"headers": {"Authorization": {"secretEnv": "PARTNER_TOKEN", "prefix": "Bearer "}}}}`, or removed with `null`. '
    + secretsDescription,
  request: { params: idParam, body: mergePatchBody(agentPatchSchema) },
  responses: {
    200: jsonResponse(agentSchema, 'The updated agent'),
    ...commonErrors, ...bodyErrors,
    415: errorResponse('invalid_request: the body is not sent as application/merge-patch+json or application/json'),
    ...notFound('agent_not_found'), ...conflict('function agents are read-only, or the patch gives another id or kind'), ...secretRefused,
  },
});
const deleteRoute = createRoute({
  method: 'delete', path: '/agents/{id}', tags, operationId: 'deleteAgent', summary: 'Delete an http or llm agent',
  request: { params: idParam },
  responses: { ...noContent, ...commonErrors, ...notFound('agent_not_found'), ...conflict('function agents are read-only') },
});

function asAgent(builtin: BuiltinAgent): Agent {
  return { id: builtin.id, kind: 'function', description: builtin.description ?? null, config: {} };
}

/** The Agent Manager API's agent endpoints; the app mounts them under `/api/v1`. */
export function createAgentRoutes(deps: AgentRoutesDeps) {
  const { agents } = deps.store;
  const builtin = (id: string) => deps.builtinAgents().find((agent) => agent.id === id);
  const readOnly = (id: string) =>
    new BatonError('conflict', `Agent ${JSON.stringify(id)} is a function agent registered in the worker; it cannot be changed here.`, { id });

  return createRouter()
    .openapi(listRoute, async (c) => {
      const { page, size } = c.req.valid('query');
      const builtins = deps.builtinAgents().map(asAgent).sort((a, b) => a.id.localeCompare(b.id));
      const stored = (await agents.list(c.get('project'))).filter((agent) => !builtin(agent.id)).map(redactAgentSecrets);
      const all = [...builtins, ...stored];
      return c.json({ content: all.slice(page * size, (page + 1) * size), totalElements: all.length, totalPages: Math.ceil(all.length / size) }, 200);
    })
    .openapi(createAgentRoute, async (c) => {
      const input = c.req.valid('json');
      if (builtin(input.id)) {
        throw new BatonError('conflict', `An agent ${JSON.stringify(input.id)} already exists (a function agent).`, { id: input.id });
      }
      assertAgentSecretsAllowed(deps.secrets, c.get('project'), input);
      return c.json(redactAgentSecrets(await agents.create(c.get('project'), input)), 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const found = builtin(id);
      return c.json(found ? asAgent(found) : redactAgentSecrets(await agents.get(c.get('project'), id)), 200);
    })
    .openapi(patchRoute, async (c) => {
      const { id } = c.req.valid('param');
      if (builtin(id)) throw readOnly(id);
      const patch = c.req.valid('json');
      const project = c.get('project');
      // The merged config is checked whole: a header reference the patch leaves alone must still be granted.
      const check = (next: StoredAgent) => {
        if (patch.config !== undefined) assertAgentSecretsAllowed(deps.secrets, project, next);
      };
      return c.json(redactAgentSecrets(await agents.update(project, id, patch, check)), 200);
    })
    .openapi(deleteRoute, async (c) => {
      const { id } = c.req.valid('param');
      if (builtin(id)) throw readOnly(id);
      await agents.delete(c.get('project'), id);
      return c.body(null, 204);
    });
}
