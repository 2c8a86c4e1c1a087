import { errorBodySchema } from '../../src/domain/errors.ts';

// Every error status of every route answers the same body, registered once as the `Error`
// component: client generators then make one error model, not one per operation and status.

/** An error status whose body is the shared `Error`; the description lists the codes it carries. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: errorBodySchema } } };
}

export const unauthorized = { 401: errorResponse('unauthorized: missing or unknown API key') };

/** What a JSON body can be refused with before its schema is checked. */
export const bodyErrors = {
  413: errorResponse('payload_too_large: the body exceeds the size limit'),
  415: errorResponse('invalid_request: the body is not sent as application/json'),
};

/** What a route that calls Temporal can answer when Temporal, not the request, is the problem. */
export const engineErrors = {
  502: errorResponse('engine_error: Temporal failed the call or does not support it; engine_access_denied: Temporal refused Baton\'s credentials (an operator must fix TEMPORAL_* settings)'),
  503: errorResponse('engine_unavailable: Temporal is unreachable; engine_busy: Temporal is rate limiting Baton. Retry after the Retry-After header'),
};

export const notFound = (codes: string) => ({ 404: errorResponse(`${codes}: not found in this project`) });

/** What an answer to an approval step with a quorum is refused with when the caller may not count toward it. */
export const quorumForbidden = {
  403: errorResponse('approver_label_required: the step has a quorum, which counts people by label, and the API key has none; not_an_approver: the step lists its approvers and this key\'s label is not one of them'),
};
/** The 409 codes of a resume, as one description. */
export const resumeConflictCodes =
  'run_not_paused, step_mismatch, run_finished; already_answered: this label already answered the step\'s quorum (each person counts once); ' +
  'workflow_task_failing: the run\'s workflow task keeps failing, so it cannot take an answer';
