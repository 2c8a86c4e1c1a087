// The generated types bite: a client built from them rejects what the document does not allow and
// gives each answer its documented shape, under the repository's strict compiler settings.
import { describe, expectTypeOf, it } from 'vitest';
import { batonApiClient, type Schemas } from './baton-openapi-client.ts';

const client = batonApiClient('http://127.0.0.1:3000', 'key');

describe('the generated client types', () => {
  it('type each answer by the document', async () => {
    const answer = await client.GET('/v1/workflow-runs/{runId}', { params: { path: { runId: 'wfr_1' } } });
    expectTypeOf(answer.data).toEqualTypeOf<Schemas['V1Run'] | undefined>();
    expectTypeOf(answer.error).toEqualTypeOf<Schemas['Error'] | undefined>();
    expectTypeOf<Schemas['V1Run']['output']['status']>().toEqualTypeOf<'running' | 'paused' | 'completed' | 'failed' | 'cancelled'>();
  });

  it('reject routes, parameters and bodies the document does not have', () => {
    // @ts-expect-error: no such route
    void client.GET('/v1/no-such-route');
    // @ts-expect-error: the path parameter is required
    void client.GET('/v1/workflow-runs/{runId}', {});
    // @ts-expect-error: a v1 resume names the step and its input inside `input.resume`
    void client.POST('/v1/workflow-runs/{runId}/resume', { params: { path: { runId: 'wfr_1' } }, body: { step: 'approval', input: 'approve' } });
    // @ts-expect-error: an Agent Manager run's input is text
    void client.POST('/api/v1/workflows/{id}/run', { params: { path: { id: 'wf' } }, body: { input: { task: 'x' } } });
  });
});
