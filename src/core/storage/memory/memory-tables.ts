/**
 * The rows of one in-memory relay database, shared by its stores.
 *
 * Every store method runs synchronously from its first read to its last
 * write (there is no `await` in between), so each call is atomic with respect
 * to every other caller on the event loop: this is what makes the memory
 * storage safe under concurrent async callers without any lock.
 */
import { RelayError, RelayErrorCode } from '../../errors.js';
import type { PassRecord, RedemptionRecord, RelaySessionRecord, ReservedKeyPairRecord, VerifiedClaimRecord } from '../ports.js';

/** A row of the session-creation ledger. */
export interface MemorySessionSlot {
  readonly id: string;
  readonly subject: string;
  readonly client: string | null;
  readonly takenAt: Date;
}

/** One map per table, keyed like the SQL primary keys. */
export interface MemoryTables {
  readonly sessions: Map<string, RelaySessionRecord>;
  /** Session-creation slots by id (the session's id). */
  readonly sessionSlots: Map<string, MemorySessionSlot>;
  readonly passes: Map<string, PassRecord>;
  /** By idempotency key. */
  readonly redemptions: Map<string, RedemptionRecord>;
  /** By session id (one claim per session). */
  readonly claims: Map<string, VerifiedClaimRecord>;
  /** The key reserve by record id. */
  readonly keyReserve: Map<string, ReservedKeyPairRecord>;
}

export function createMemoryTables(): MemoryTables {
  return {
    sessions: new Map(),
    sessionSlots: new Map(),
    passes: new Map(),
    redemptions: new Map(),
    claims: new Map(),
    keyReserve: new Map(),
  };
}

/**
 * A deep copy, so that neither the caller nor the tables can change the
 * other's Dates and arrays after the fact (a database hands out copies too).
 */
export function detached<T>(record: T): T {
  return structuredClone(record);
}

/** Code-point order, like PostgreSQL's for the UUIDs it is used on: only makes ties deterministic. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What the SQL store reports for a primary-key or foreign-key violation:
 * a storage failure, with public identifiers only.
 */
export function constraintViolation(message: string, context: Record<string, unknown>): RelayError {
  return new RelayError(RelayErrorCode.STORAGE, message, { context });
}
