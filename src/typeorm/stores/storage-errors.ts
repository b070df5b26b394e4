import { QueryFailedError } from 'typeorm';
import { RelayError, RelayErrorCode } from '../../core/errors.js';

/** True if `error` is PostgreSQL's unique violation (23505) of the named constraint or index. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: unknown; constraint?: unknown } | undefined;
  return driverError?.code === '23505' && driverError.constraint === constraint;
}

/**
 * `store` with every method's failures turned into a {@link RelayError}
 * `ERR_RELAY_STORAGE` (the database error is its `cause`; the message names
 * only the operation). RelayErrors and TypeErrors (misuse) pass unchanged.
 */
export function withStorageErrors<T extends object>(storeName: string, store: T): T {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(store)) {
    if (typeof member !== 'function') {
      guarded[name] = member;
      continue;
    }
    const operation = `${storeName}.${name}`;
    guarded[name] = async (...args: unknown[]) => {
      try {
        return await (member as (...a: unknown[]) => Promise<unknown>).apply(store, args);
      } catch (error) {
        if (error instanceof RelayError || error instanceof TypeError) throw error;
        throw new RelayError(RelayErrorCode.STORAGE, `Storage operation ${operation} failed`, {
          cause: error,
          context: { operation },
        });
      }
    };
  }
  return guarded as T;
}
