/**
 * OpenAPI links: which operations a response's ids feed (Swagger UI lists them; API fuzzers follow
 * them to reach a created resource). Keys are link names; values name the target operationId and
 * where each of its parameters comes from, e.g. `{ id: '$response.body#/id' }`.
 */
export function links(targets: Record<string, [operationId: string, parameters: Record<string, string>]>) {
  return Object.fromEntries(Object.entries(targets).map(([name, [operationId, parameters]]) => [name, { operationId, parameters }]));
}
