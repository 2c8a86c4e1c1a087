import { ApplicationFailure } from '@temporalio/common';
import { isReservedVariable, type SecretGrants } from '../config.ts';
import { BatonError } from '../domain/errors.ts';

// Secrets belong to the operator: a project's agents may read only the worker's environment
// variables BATON_PROJECT_SECRETS grants to that project (or to `*`), never Baton's own settings.

/** Why a project may not read a variable. The message names the variable, never a value. */
export interface SecretRefusal {
  code: 'secret_not_granted';
  reason: 'reserved' | 'not_granted';
  project: string;
  variable: string;
  message: string;
}

export type SecretResolution =
  | { granted: true; variable: string; value: string | undefined }
  | { granted: false; refusal: SecretRefusal };

export interface ProjectSecrets {
  /**
   * The value of `variable` for an agent of `project`, or why it may not have it. A granted but
   * unset (or blank) variable resolves to `value: undefined`; the caller says what to set.
   */
  resolve(project: string, variable: string): SecretResolution;
}

export function createProjectSecrets(options: { grants: SecretGrants; env: Record<string, string | undefined> }): ProjectSecrets {
  const { grants, env } = options;
  return {
    resolve(project, variable) {
      const refusal = secretRefusal(grants, project, variable);
      if (refusal) return { granted: false, refusal };
      const value = env[variable];
      return { granted: true, variable, value: value === undefined || value.trim() === '' ? undefined : value.trim() };
    },
  };
}

/** No grants: every reference is refused. What a worker composed without BATON_PROJECT_SECRETS gets. */
export const noProjectSecrets = (env: Record<string, string | undefined>): ProjectSecrets => createProjectSecrets({ grants: new Map(), env });

function secretRefusal(grants: SecretGrants, project: string, variable: string): SecretRefusal | null {
  if (isReservedVariable(variable)) {
    return {
      code: 'secret_not_granted', reason: 'reserved', project, variable,
      message: `${variable} is Baton's own configuration; no agent may read it (use a variable the operator grants in BATON_PROJECT_SECRETS)`,
    };
  }
  if (grants.get(project)?.has(variable) || grants.get('*')?.has(variable)) return null;
  return {
    code: 'secret_not_granted', reason: 'not_granted', project, variable,
    message: `${variable} is not granted to project "${project}"; the operator grants it with BATON_PROJECT_SECRETS=${project}:${variable}`,
  };
}

/** The refusal as the run's failure: not retryable, since only the operator's configuration can change it. */
export function secretRefusalFailure(refusal: SecretRefusal, agentId: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: refusal.code,
    nonRetryable: true,
    message: `agent "${agentId}": ${refusal.message}`,
    details: [{ variable: refusal.variable, project: refusal.project, reason: refusal.reason }],
  });
}

/** The refusal as an API answer (422), for agent create and update. */
export function secretRefusalError(refusal: SecretRefusal, field: string): BatonError {
  return new BatonError(refusal.code, `${field}: ${refusal.message}`, { field, variable: refusal.variable, reason: refusal.reason });
}
