import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { createDocumentedApp, openApiDocument, type OpenApiDocument } from '../fixtures/documented-app.ts';

// What client generators and linters read from /openapi.json: where to send requests, which
// operations need the key, and one named error model instead of one per operation and status.
const repoRoot = path.resolve(import.meta.dirname, '../..');
const redoclyCli = path.join(repoRoot, 'node_modules/@redocly/cli/bin/cli.js');

let store: Store;
let open: OpenApiDocument;
let keyed: OpenApiDocument;
beforeAll(async () => {
  store = await openStore();
  open = await openApiDocument(createDocumentedApp(store));
  keyed = await openApiDocument(createDocumentedApp(store, new Map([['a-key', 'alpha']])));
});
afterAll(async () => store?.close());

function operations(doc: OpenApiDocument) {
  return Object.entries(doc.paths).flatMap(([route, methods]) => Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${route}`, route, op })));
}

describe('the OpenAPI document', () => {
  it('names a relative server, so clients and fuzzers reach the Baton that served it', () => {
    expect(open.servers).toEqual([{ url: '/', description: expect.any(String) as unknown }]);
  });

  it('requires the bearer key on every /v1 and /api/v1 operation, whether or not keys are configured, and leaves the probes open', () => {
    expect(open.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(open.components.securitySchemes.apiKey?.description).toMatch(/no key is configured/);
    for (const doc of [open, keyed]) {
      const effective = operations(doc).map(({ name, op }) => [name, op.security ?? doc.security]);
      const api = effective.filter(([name]) => / \/(api\/)?v1\//.test(name as string));
      expect(api.length).toBeGreaterThanOrEqual(20);
      for (const [name, security] of api) expect([name, security]).toEqual([name, [{ apiKey: [] }]]);
      expect(effective.filter(([name]) => !api.some(([apiName]) => apiName === name))).toEqual([['GET /healthz', []], ['GET /readyz', []]]);
    }
    expect(keyed).toEqual(open);
  });

  it('answers every error status of the API with the one shared Error component', () => {
    expect(open.components.schemas.Error).toMatchObject({ required: ['error'] });
    // /readyz answers 503 with its readiness checks, not an error body.
    const errors = operations(open).filter(({ route }) => route !== '/readyz').flatMap(({ name, op }) => Object.entries(op.responses)
      .filter(([status]) => /^[45]/.test(status))
      .map(([status, response]) => [`${name} ${status}`, response.content?.['application/json']?.schema]));
    expect(errors.length).toBeGreaterThanOrEqual(100);
    expect(errors.filter(([, schema]) => JSON.stringify(schema) !== JSON.stringify({ $ref: '#/components/schemas/Error' }))).toEqual([]);
  });

  it('names the bodies of runs, workflows, steps and agents as components instead of repeating them inline', () => {
    expect(Object.keys(open.components.schemas)).toEqual(expect.arrayContaining([
      'V1Run', 'V1RunList', 'Workflow', 'WorkflowPage', 'WorkflowCreate', 'WorkflowPatch', 'Step', 'StepInput',
      'WorkflowRun', 'WorkflowRunPage', 'WorkflowRunDetail', 'RunAccepted', 'ResumeAccepted', 'Agent', 'AgentPage', 'AgentCreate', 'AgentPatch', 'PendingAction',
      'V1Answer', 'WorkflowRunAnswer', 'Actor',
    ]));
    // Every JSON body is a reference (or a list of references), so a generator names each model once.
    const inline = operations(open).flatMap(({ name, op }) => {
      const bodies = Object.entries(op.responses).map(([status, response]): [string, Record<string, unknown> | undefined] => [`${name} ${status}`, response.content?.['application/json']?.schema]);
      const request = (op as { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }).requestBody;
      if (request) bodies.push([`${name} body`, request.content['application/json']?.schema]);
      return bodies.filter(([, schema]) => schema && !schema.$ref && !(schema.items as { $ref?: string } | undefined)?.$ref).map(([where]) => where);
    });
    expect(inline).toEqual([]);
  });

  it('documents the resume comment (at most 4000 characters) and the answers of both APIs\' runs', () => {
    const schemas = open.components.schemas as Record<string, { properties?: Record<string, { $ref?: string; maxLength?: number; items?: { $ref?: string } }>; required?: string[] }>;
    expect(schemas.ResumeRunBody?.properties?.comment).toMatchObject({ type: 'string', maxLength: 4000 });
    expect(JSON.stringify(schemas.V1ResumeBody)).toContain('"comment":{"type":"string","maxLength":4000');
    expect(schemas.WorkflowRunDetail?.properties?.answers?.items).toEqual({ $ref: '#/components/schemas/WorkflowRunAnswer' });
    expect(schemas.WorkflowRunDetail?.required).toContain('answers');
    expect(JSON.stringify(schemas.V1Run)).toContain('"answers":{"type":"array","items":{"$ref":"#/components/schemas/V1Answer"}');
    for (const name of ['V1Answer', 'WorkflowRunAnswer']) {
      expect(schemas[name]?.properties?.answeredBy).toEqual({ $ref: '#/components/schemas/Actor' });
      expect(schemas[name]?.required).toEqual(expect.arrayContaining(['step', 'type', 'comment', 'answeredBy', 'answeredAt']));
    }
  });

  it('passes Redocly\'s recommended lint offline with no errors', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'baton-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(open));
      const { stdout } = await promisify(execFile)(process.execPath, [redoclyCli, 'lint', file, '--config', path.join(repoRoot, '.ci/redocly.yaml'), '--format=json'], {
        timeout: 60_000,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      }).catch((error: Error & { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(stdout) as { problems: Array<{ ruleId: string; severity: string; message: string }> };
      expect(report.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
      // The warnings that stay, and why: the probes answer no 4xx, and `/workflows/runs/{runId}` is the
      // Agent Manager API's own path (a workflow id is never `runs`).
      expect([...new Set(report.problems.map((problem) => problem.ruleId))].sort()).toEqual(['no-ambiguous-paths', 'operation-4xx-response']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
