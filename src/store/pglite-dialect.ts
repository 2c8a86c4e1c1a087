import type { PGlite } from '@electric-sql/pglite';
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

class PGliteConnection implements DatabaseConnection {
  readonly #db: PGlite;
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
    const result = await this.#db.query<R>(query.sql, [...query.parameters]);
    return { rows: result.rows, numAffectedRows: affected(result.affectedRows) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('PGlite dialect does not stream; use execute()');
  }
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
