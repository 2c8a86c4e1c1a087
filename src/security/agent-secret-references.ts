import { grantedKeyVariable } from '../agents/llm/model-endpoint.ts';
import type { Agent } from '../domain/agent.ts';
import { BatonError } from '../domain/errors.ts';
import { secretRefusalError, type ProjectSecrets } from './project-secrets.ts';

// What an agent's config says about secrets: which variables it reads, which headers carry
// credentials, and how the API shows it without ever showing a secret.

/** What GET shows instead of a plain-text credential header stored before references existed. */
export const redactedHeaderValue = '[redacted]';

const credentialHeaderNames = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

/** Headers whose value is a credential, so it must come from a granted secret, never be stored. */
export function isCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return credentialHeaderNames.has(lower) || /token|secret|key|auth|password/.test(lower);
}

type ConfiguredAgent = Pick<Extract<Agent, { kind: 'http' }>, 'kind' | 'config'> | Pick<Extract<Agent, { kind: 'llm' }>, 'kind' | 'config'>;

/** Every environment variable the agent reads that its project must be granted, with the field naming it. */
export function agentSecretReferences(agent: ConfiguredAgent): Array<{ field: string; variable: string }> {
  if (agent.kind === 'llm') {
    const variable = grantedKeyVariable(agent.config);
    return variable === undefined ? [] : [{ field: 'config.apiKeyEnv', variable }];
  }
  const references = agent.config.secretEnv === undefined ? [] : [{ field: 'config.secretEnv', variable: agent.config.secretEnv }];
  for (const [name, value] of Object.entries(agent.config.headers ?? {})) {
    if (typeof value !== 'string') references.push({ field: `config.headers.${name}.secretEnv`, variable: value.secretEnv });
  }
  return references;
}

/**
 * Refuses (422) an agent the API is asked to store when it carries a credential header in plain
 * text or reads a variable its project is not granted; the message names the header or variable.
 */
export function assertAgentSecretsAllowed(secrets: ProjectSecrets, project: string, agent: ConfiguredAgent): void {
  if (agent.kind === 'http') {
    for (const [name, value] of Object.entries(agent.config.headers ?? {})) {
      if (typeof value === 'string' && isCredentialHeader(name)) {
        throw new BatonError(
          'unprocessable',
          `config.headers.${name} looks like a credential; credentials are not stored: use a reference to a granted secret, e.g. {"secretEnv": "PARTNER_TOKEN", "prefix": "Bearer "}`,
          { field: `config.headers.${name}` },
        );
      }
    }
  }
  for (const { field, variable } of agentSecretReferences(agent)) {
    const resolved = secrets.resolve(project, variable);
    if (!resolved.granted) throw secretRefusalError(resolved.refusal, field);
  }
}

/** The agent as the API shows it: references keep only the variable name; plain credential headers are redacted. */
export function redactAgentSecrets<T extends Agent>(agent: T): T {
  if (agent.kind !== 'http' || !agent.config.headers) return agent;
  const headers = Object.fromEntries(Object.entries(agent.config.headers).map(([name, value]) => [
    name,
    typeof value === 'string' && isCredentialHeader(name) ? redactedHeaderValue : value,
  ]));
  return { ...agent, config: { ...agent.config, headers } };
}
