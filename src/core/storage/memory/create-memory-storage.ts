import type { RelayStorage } from '../ports.js';
import { createMemoryClaimStore } from './memory-claim-store.js';
import { createMemoryKeyReserveStore } from './memory-key-reserve-store.js';
import { createMemoryPassStore } from './memory-pass-store.js';
import { createMemoryRedemptionStore } from './memory-redemption-store.js';
import { createMemorySessionSlotStore } from './memory-session-slot-store.js';
import { createMemorySessionStore } from './memory-session-store.js';
import { createMemoryTables, type MemoryTables } from './memory-tables.js';

/**
 * A {@link RelayStorage} that keeps everything in this process's memory.
 *
 * Same semantics as the TypeORM storage (both pass one contract test suite),
 * including "at most one PENDING redemption per session" and the pass
 * preference order; each call is atomic under concurrent async callers.
 * Nothing survives a restart and nothing is shared between processes, so use
 * it for tests and single-instance toys, never for production redemptions.
 */
export function createMemoryStorage(): RelayStorage {
  return memoryStorageOn(createMemoryTables());
}

/**
 * The memory storage over `tables` the caller keeps. Not part of the public
 * API: tests use it to look into the tables the stores write.
 */
export function memoryStorageOn(tables: MemoryTables): RelayStorage {
  return {
    sessions: createMemorySessionStore(tables),
    sessionSlots: createMemorySessionSlotStore(tables),
    passes: createMemoryPassStore(tables),
    redemptions: createMemoryRedemptionStore(tables),
    claims: createMemoryClaimStore(tables),
    keyReserve: createMemoryKeyReserveStore(tables),
    async ping() {},
    async close() {},
  };
}
