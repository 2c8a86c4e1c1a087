import pg from 'pg';

// A DATABASE_URL that cannot be used stops Baton with the variable named, the server it points at
// (never its password) and what to check, instead of the driver's bare `getaddrinfo ENOTFOUND`.

/** How long start-up waits for PostgreSQL to accept a connection before saying so. */
const connectTimeoutMs = 10_000;

/** The URL as it may be printed: no password, no query string (it can carry `password=` or key paths). */
export function describeDatabaseUrl(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return 'a value that is not a URL (expected postgres://user:password@host:5432/database)';
  }
  const user = url.username ? `${url.username}${url.password ? ':***' : ''}@` : '';
  return `${url.protocol}//${user}${url.host}${url.pathname}`;
}

/** What to check for a driver error code: DNS, nothing listening, no answer, credentials, database name. */
function hint(code: string | undefined): string {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve: check the host in DATABASE_URL';
    case 'ECONNREFUSED':
      return 'nothing accepts connections there: check the host and port in DATABASE_URL and that the PostgreSQL server is running';
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'timeout':
      return 'no answer: check the host and port in DATABASE_URL, that the PostgreSQL server is running, and that no firewall is in the way';
    case '28P01':
    case '28000':
      return 'the server refused the login: check the user name and password in DATABASE_URL';
    case '3D000':
      return 'the database does not exist: check the database name in DATABASE_URL (the path after the host)';
    default:
      return 'check the host, port, user name, password and database name in DATABASE_URL, and that the PostgreSQL server is running';
  }
}

/** Thrown at start-up when DATABASE_URL does not lead to a PostgreSQL that accepts Baton. */
export class DatabaseConnectionError extends Error {
  readonly code?: string;

  constructor(databaseUrl: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const codeText = typeof code === 'string' ? code : undefined;
    let reason = cause instanceof Error ? cause.message : String(cause);
    const password = passwordOf(databaseUrl);
    // Drivers do not print the password; this makes sure none ever does.
    for (const form of password ?? []) reason = reason.replaceAll(form, '***');
    super(`DATABASE_URL: cannot connect to PostgreSQL at ${describeDatabaseUrl(databaseUrl)} (${reason}); ${hint(codeText)}.`);
    this.name = 'DatabaseConnectionError';
    if (codeText) this.code = codeText;
  }
}

/** The password as written in the URL and decoded, or none. */
function passwordOf(databaseUrl: string): string[] | undefined {
  try {
    const url = new URL(databaseUrl);
    return url.password ? [url.password, decodeURIComponent(url.password)] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens and closes one connection to DATABASE_URL, bounded in time, so a wrong setting is reported
 * at start-up with the variable named rather than from the first query of the pool.
 */
export async function checkDatabaseConnection(databaseUrl: string): Promise<void> {
  let client: pg.Client;
  try {
    client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: connectTimeoutMs });
  } catch (error) {
    throw new DatabaseConnectionError(databaseUrl, error);
  }
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const timedOut = error instanceof Error && /timeout/i.test(error.message) && (error as { code?: unknown }).code === undefined;
    throw new DatabaseConnectionError(databaseUrl, timedOut ? Object.assign(new Error(`no connection within ${connectTimeoutMs} ms`), { code: 'timeout' }) : error);
  } finally {
    await client.end().catch(() => {});
  }
}
