import { BatonError } from '../domain/errors.ts';

// pg and PGlite both surface the server's SQLSTATE as `code` on the error they throw.
const uniqueViolation = '23505';

export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === uniqueViolation;
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
