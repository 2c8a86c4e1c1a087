import { sql, type Compilable, type CompiledQuery, type Kysely, type QueryResult, type RawBuilder } from 'kysely';
import type { Database } from './database.ts';

/** Where a named parameter goes in a query built once: the builder sees it as an ordinary value. */
class Slot {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
}

/**
 * A query of a fixed shape that runs on every agent step or settle, built and compiled once.
 * Kysely's builders parse their arguments into an operation tree and its compiler walks that tree
 * on every call: for the worker's session and read-model writes that cost more CPU than the pg
 * client's own work for the round trip. Here `build` runs once with placeholders for `P`'s values
 * (still checked against the tables, as any query is); each call substitutes its own values into the
 * compiled parameter list.
 *
 * The shape must not depend on the values: every key of `P` is a plain parameter, and an undefined
 * value is sent as NULL (a builder would instead leave an undefined insert column out: give null).
 */
export interface PreparedQuery<P, R> {
  execute(params: P): Promise<QueryResult<R>>;
  /** The same query with `params` bound, to embed in a larger sql`` statement (a CTE). */
  fragment(params: P): RawBuilder<R>;
}

export function prepareQuery<P extends object, R>(db: Kysely<Database>, build: (params: P) => Compilable<R>): PreparedQuery<P, R> {
  let compiled: { query: CompiledQuery<R>; parameters: ReadonlyArray<unknown> } | undefined;
  let fragments: TemplateStringsArray | undefined;
  const template = () => {
    if (!compiled) {
      const slots = new Proxy({}, { get: (_target, key) => new Slot(String(key)) }) as P;
      const query = build(slots).compile();
      compiled = { query, parameters: query.parameters };
    }
    return compiled;
  };
  const bind = (params: P): unknown[] =>
    template().parameters.map((value) => (value instanceof Slot ? ((params as Record<string, unknown>)[value.name] ?? null) : value));
  return {
    async execute(params) {
      const { query } = template();
      return await db.executeQuery<R>({ ...query, parameters: bind(params) });
    },
    fragment(params) {
      if (!fragments) {
        // Kysely numbers its placeholders $1, $2, … in the order of the parameter list; split there so
        // the enclosing statement numbers them anew.
        const text = template().query.sql;
        const pieces = text.split(/\$\d+/);
        const numbers = [...text.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]));
        if (numbers.length !== template().parameters.length || numbers.some((n, index) => n !== index + 1)) {
          throw new Error(`prepared query has placeholders out of order: ${text}`);
        }
        fragments = Object.assign([...pieces], { raw: pieces });
      }
      return sql<R>(fragments, ...bind(params).map((value) => sql.val(value)));
    },
  };
}
