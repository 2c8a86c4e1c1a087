import { parse, protocol, type PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

// The maintained PGlite dialects either pin PGlite below 0.5 or pull in a whole CLI, so this is
// the few lines Kysely needs: Postgres SQL generation plus one exclusive connection.

/** Hands out PGlite's single connection to one holder at a time, so a transaction never interleaves. */
class ExclusiveConnection {
  #tail: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  async acquire(): Promise<void> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise((resolve) => (release = resolve));
    await previous;
    this.#release = release;
  }

  release(): void {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }
}

type BackendMessage = Parameters<typeof parse.parseResults>[0][number];

/** A named statement: parsed and described once, then only bound and executed. */
interface NamedStatement {
  name: string;
  paramTypes: number[];
  /** The statement's row description (none for a statement that returns no rows), given to the result parser on every call. */
  rowDescription: BackendMessage | undefined;
}

/**
 * Named statements past which a new query text runs unnamed: enough for every query the engine
 * repeats (a few dozen shapes); a list filter of a new shape then costs no server memory.
 */
export const maxNamedStatements = 256;

class PGliteConnection implements DatabaseConnection {
  readonly #db: PGlite;
  readonly #named = new Map<string, NamedStatement>();
  constructor(db: PGlite) {
    this.#db = db;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Like pg, a query without parameters goes over the simple protocol, which accepts several
    // statements (the migration scripts); everything else is one prepared statement.
    if (query.parameters.length === 0) {
      const results = await this.#db.exec(query.sql);
      const last = results.at(-1);
      return { rows: (last?.rows ?? []) as R[], numAffectedRows: affected(last?.affectedRows) };
    }
    const named = await this.#statementFor(query.sql);
    if (!named) {
      const result = await this.#db.query<R>(query.sql, [...query.parameters]);
      return { rows: result.rows, numAffectedRows: affected(result.affectedRows) };
    }
    // PGlite's query() parses, plans and describes the text on every call (an unnamed statement):
    // about half of a short statement's CPU in the engine. A named one is planned once, and bind,
    // execute and sync go into the engine in one call.
    // Serialized as query() does: by the parameter's type, else the value's own text.
    const values = query.parameters.map((value, index) => {
      if (value === null || value === undefined) return null;
      const serializer = this.#db.serializers[named.paramTypes[index] ?? 0];
      return serializer ? serializer(value) : (value as { toString(): string }).toString();
    });
    const { messages } = await this.#db.execProtocol(concat(protocol.serialize.bind({ statement: named.name, values }), protocol.serialize.execute({}), protocol.serialize.sync()));
    const results = parse.parseResults(named.rowDescription ? [named.rowDescription, ...messages] : messages, this.#db.parsers);
    const last = results.at(-1);
    return { rows: (last?.rows ?? []) as R[], numAffectedRows: affected(last?.affectedRows) };
  }

  /** The named statement for `text`, parsed on first use; null once there are maxNamedStatements. */
  async #statementFor(text: string): Promise<NamedStatement | null> {
    const known = this.#named.get(text);
    if (known) return known;
    if (this.#named.size >= maxNamedStatements) return null;
    const name = `baton_${this.#named.size + 1}`;
    // A text PostgreSQL refuses throws here (as query() would), and nothing is kept.
    const { messages } = await this.#db.execProtocol(concat(protocol.serialize.parse({ name, text }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()));
    const statement: NamedStatement = { name, paramTypes: parse.parseDescribeStatementResults(messages), rowDescription: messages.find((message) => message.name === 'rowDescription') };
    this.#named.set(text, statement);
    return statement;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not stream; use execute()');
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const message = new Uint8Array(parts.reduce((length, part) => length + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return message;
}

function affected(count: number | undefined): bigint | undefined {
  return count === undefined ? undefined : BigInt(count);
}

class PGliteDriver implements Driver {
  readonly #connection: PGliteConnection;
  readonly #db: PGlite;
  readonly #exclusive = new ExclusiveConnection();

  constructor(db: PGlite) {
    this.#db = db;
    this.#connection = new PGliteConnection(db);
  }

  async init(): Promise<void> {
    await this.#db.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#exclusive.acquire();
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    this.#exclusive.release();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel ? ` isolation level ${settings.isolationLevel}` : '';
    await connection.executeQuery(CompiledQuery.raw(`begin${isolation}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    await this.#db.close();
  }
}

/** A Kysely dialect over one PGlite instance; destroying the Kysely closes the database. */
export class PGliteDialect implements Dialect {
  readonly #db: PGlite;
  constructor(db: PGlite) {
    this.#db = db;
  }
  createAdapter() {
    return new PostgresAdapter();
  }
  createDriver() {
    return new PGliteDriver(this.#db);
  }
  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }
}
