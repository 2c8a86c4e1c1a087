import { z } from 'zod';
import { slugSchema } from './ids.ts';

export const agentKindSchema = z.enum(['function', 'http', 'llm']);
export type AgentKind = z.infer<typeof agentKindSchema>;

/** The name of an environment variable of the worker, e.g. PARTNER_TOKEN. */
export const envVariableNameSchema = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name such as PARTNER_TOKEN');

/** A header value read from a granted secret when the agent is called: `prefix` + the variable's value. */
export const headerSecretReferenceSchema = z.object({
  secretEnv: envVariableNameSchema,
  prefix: z.string().max(100).regex(/^[^\r\n\0]*$/, 'no line breaks').optional(),
}).strict().meta({ description: 'A secret header value, e.g. {"secretEnv": "PARTNER_TOKEN", "prefix": "Bearer "}; GET shows only the variable name' });
export type HeaderSecretReference = z.infer<typeof headerSecretReferenceSchema>;

export const llmAgentConfigSchema = z.object({
  model: z.string().min(1),
  baseUrl: z.url().optional(),
  /**
   * Name of the worker's environment variable holding the API key; secrets are never stored. It
   * must be granted to the project (BATON_PROJECT_SECRETS), except OPENAI_API_KEY without baseUrl.
   */
  apiKeyEnv: envVariableNameSchema.optional(),
  system: z.string().max(50_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTurns: z.number().int().min(1).max(50).optional(),
  tools: z.array(z.object({ name: z.string().min(1), requiresApproval: z.boolean().optional() })).optional(),
}).meta({ id: 'LlmAgentConfig' });
export const httpAgentConfigSchema = z.object({
  url: z.url(),
  timeoutMs: z.number().int().min(1).max(600_000).optional(),
  /** Name of the worker's environment variable holding the HMAC secret, granted to the project. */
  secretEnv: envVariableNameSchema.optional(),
  /**
   * Extra request headers: plain text, or a reference to a granted secret. Credential headers
   * (Authorization, Cookie, X-Api-Key, names with token/secret/key/auth/password) must be references.
   */
  headers: z.record(z.string(), z.union([z.string(), headerSecretReferenceSchema])).optional(),
}).meta({ id: 'HttpAgentConfig' });

export const agentSchema = z.discriminatedUnion('kind', [
  z.object({ id: slugSchema, kind: z.literal('function'), description: z.string().nullish(), config: z.record(z.string(), z.unknown()) }),
  z.object({ id: slugSchema, kind: z.literal('http'), description: z.string().nullish(), config: httpAgentConfigSchema }),
  z.object({ id: slugSchema, kind: z.literal('llm'), description: z.string().nullish(), config: llmAgentConfigSchema }),
]).meta({ id: 'Agent' });
export type Agent = z.infer<typeof agentSchema>;

/** One earlier step of the same session, as agents see it. */
export const sessionEntrySchema = z.object({
  runId: z.string(),
  step: z.string(),
  agentId: z.string().nullable(),
  input: z.unknown(),
  output: z.unknown(),
  at: z.iso.datetime(),
});
export type SessionEntry = z.infer<typeof sessionEntrySchema>;

/** What every agent receives for one step. */
export const agentContextSchema = z.object({
  runId: z.string(),
  project: z.string(),
  step: z.string(),
  task: z.string(),
  state: z.record(z.string(), z.unknown()),
  input: z.unknown(),
  action: z.string(),
  /** Outputs of earlier steps of this run, by step name. */
  steps: z.record(z.string(), z.object({ output: z.unknown() })),
  sessionId: z.string(),
  session: z.array(sessionEntrySchema),
});
export type AgentContext = z.infer<typeof agentContextSchema>;

/** POST /agents: only http and llm agents are stored; function agents live in the worker. */
export const agentCreateSchema = z.discriminatedUnion('kind', [
  z.object({ id: slugSchema, kind: z.literal('http'), description: z.string().max(2000).nullish(), config: httpAgentConfigSchema }),
  z.object({ id: slugSchema, kind: z.literal('llm'), description: z.string().max(2000).nullish(), config: llmAgentConfigSchema }),
]).meta({ id: 'AgentCreate' });
export type AgentCreate = z.infer<typeof agentCreateSchema>;

/**
 * PATCH /agents/{id}: a JSON Merge Patch (RFC 7396) of the stored agent. `config` is merged into
 * the stored config (objects merge, null removes a key, arrays and other values replace); the
 * result must be a valid config of the agent's kind. `id` and `kind` never change.
 */
export const agentPatchSchema = z.object({
  id: slugSchema.optional().meta({ description: 'Accepted only when it is the agent\'s own id (409 otherwise)' }),
  kind: z.enum(['http', 'llm']).optional().meta({ description: 'Accepted only when it is the agent\'s own kind (409 otherwise)' }),
  description: z.string().max(2000).nullish(),
  config: z.record(z.string(), z.unknown()).optional().meta({
    description: 'Merged into the stored config: objects merge key by key, null removes a key, arrays and other values replace',
  }),
}).strict().meta({ id: 'AgentPatch' });
export type AgentPatch = z.infer<typeof agentPatchSchema>;

/** An http or llm agent as a patch leaves it: the config must be exactly its kind's, so a misspelt key is refused, not dropped. */
export const patchedAgentSchema = z.discriminatedUnion('kind', [
  z.object({ id: slugSchema, kind: z.literal('http'), description: z.string().max(2000).nullish(), config: httpAgentConfigSchema.strict() }),
  z.object({ id: slugSchema, kind: z.literal('llm'), description: z.string().max(2000).nullish(), config: llmAgentConfigSchema.strict() }),
]);
