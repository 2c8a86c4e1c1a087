import type { DatabaseConnection, Dialect, Driver, QueryResult } from 'kysely';
import { BatonError } from '../domain/errors.ts';

// pg and PGlite both surface the server's SQLSTATE as `code` on the error they throw.
const uniqueViolation = '23505';
const maxMessageChars = 300;

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolation;
}

/**
 * A failed query as the store lets it out: the SQLSTATE, the constraint, table and column, and
 * the server's message, but never the query's parameters or the row's values (agent configs,
 * session contents), so it can be logged and stored in a workflow failure as is.
 */
export class StoreQueryError extends Error {
  readonly code?: string;
  readonly constraint?: string;
  readonly table?: string;
  readonly column?: string;

  constructor(fields: { message: string; code?: string; constraint?: string; table?: string; column?: string }) {
    super(fields.message);
    this.name = 'StoreQueryError';
    if (fields.code) this.code = fields.code;
    if (fields.constraint) this.constraint = fields.constraint;
    if (fields.table) this.table = fields.table;
    if (fields.column) this.column = fields.column;
  }
}

/**
 * Keeps what identifies a database failure and drops what carries data: pg's `detail` ("Failing
 * row contains (...)"), `where` and `hint`, PGlite's `query` and `params`, and any `cause`.
 */
export function toStoreQueryError(error: unknown): StoreQueryError {
  if (error instanceof StoreQueryError) return error;
  const source = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const code = text(source.code);
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code);
  let message = text(source.message) ?? String(error);
  // Data exceptions (class 22) quote the offending value: `invalid input syntax for type integer: "…"`.
  if (sqlState && code?.startsWith('22')) message = message.replace(/"[^"]*"/g, '"…"');
  if (message.length > maxMessageChars) message = `${message.slice(0, maxMessageChars)}…`;
  return new StoreQueryError({
    message: sqlState ? `${message} (SQLSTATE ${code})` : message,
    code,
    constraint: text(source.constraint),
    table: text(source.table),
    column: text(source.column),
  });
}

/** Runs a write and turns a unique-constraint failure into a 409 the API can answer with. */
export async function conflictOnDuplicate<T>(write: () => Promise<T>, message: string, details?: unknown): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new BatonError('conflict', message, details);
    throw error;
  }
}

/** The same dialect, but every query that fails throws a StoreQueryError instead of the driver's error. */
export function withStoreQueryErrors(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => withSafeConnections(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

function withSafeConnections(driver: Driver): Driver {
  // Drivers hand out the same connection objects again; each is patched once.
  const patched = new WeakSet<DatabaseConnection>();
  const acquireConnection = driver.acquireConnection.bind(driver);
  driver.acquireConnection = async () => {
    const connection = await acquireConnection();
    if (!patched.has(connection)) {
      patched.add(connection);
      const executeQuery = connection.executeQuery.bind(connection);
      connection.executeQuery = async <R>(query: Parameters<DatabaseConnection['executeQuery']>[0]): Promise<QueryResult<R>> => {
        try {
          return await executeQuery<R>(query);
        } catch (error) {
          throw toStoreQueryError(error);
        }
      };
    }
    return connection;
  };
  return driver;
}
