/**
 * What tests read or change in a storage beyond the ports the services use:
 * state counts, a session's live redemption, a session's state. The memory
 * storage is inspected through its tables, the TypeORM one with SQL.
 */
import type { DataSource } from 'typeorm';
import { memoryStorageOn } from '../../../../src/core/storage/memory/create-memory-storage.js';
import { findLiveRecord } from '../../../../src/core/storage/memory/memory-redemption-store.js';
import { createMemoryTables, detached, type MemoryTables } from '../../../../src/core/storage/memory/memory-tables.js';
import type {
  PassState,
  RedemptionRecord,
  RedemptionState,
  RelayStorage,
  SessionState,
} from '../../../../src/core/storage/index.js';
import { relayTables, runSql, type TableSql } from '../../../../src/typeorm/stores/relay-tables.js';
import { selectLiveRedemption } from '../../../../src/typeorm/stores/typeorm-redemption-store.js';

/** Grouped like the stores, so that `storage.passes.get` and `inspect.passes.countByState` read alike. */
export interface StorageInspector {
  readonly sessions: {
    /** Sets a session's state; an unknown id changes nothing. */
    setState(id: string, state: SessionState): Promise<void>;
    /** How many sessions are stored. */
    count(): Promise<number>;
  };
  readonly passes: {
    /** Passes per state, zero for states no pass is in. */
    countByState(): Promise<Record<PassState, number>>;
  };
  readonly redemptions: {
    /** The session's PENDING or SUCCEEDED redemption, if any (newest first). */
    findLive(sessionId: string): Promise<RedemptionRecord | null>;
    /** Redemptions per state, zero for states no record is in. */
    countByState(): Promise<Record<RedemptionState, number>>;
  };
}

/** A storage and its inspector. */
export interface InspectedStorage {
  readonly storage: RelayStorage;
  readonly inspect: StorageInspector;
}

// Typed as full records, so that a state added to the ports fails to compile here.
const NO_PASSES: Readonly<Record<PassState, number>> = { AVAILABLE: 0, RESERVED: 0, CONSUMED: 0, EXPIRED: 0, UNUSABLE: 0 };
const NO_REDEMPTIONS: Readonly<Record<RedemptionState, number>> = { PENDING: 0, SUCCEEDED: 0, FAILED_FINAL: 0, UNKNOWN: 0 };

/** A memory storage on fresh tables, and an inspector reading those tables. */
export function inspectedMemoryStorage(): InspectedStorage {
  const tables = createMemoryTables();
  return { storage: memoryStorageOn(tables), inspect: memoryTablesInspector(tables) };
}

function memoryTablesInspector(tables: MemoryTables): StorageInspector {
  const countStates = <S extends string>(zero: Readonly<Record<S, number>>, rows: Iterable<{ readonly state: S }>) => {
    const counts: Record<S, number> = { ...zero };
    for (const row of rows) counts[row.state] += 1;
    return counts;
  };
  return {
    sessions: {
      async setState(id, state) {
        const session = tables.sessions.get(id);
        if (session !== undefined) tables.sessions.set(id, { ...session, state });
      },
      count: async () => tables.sessions.size,
    },
    passes: {
      countByState: async () => countStates(NO_PASSES, tables.passes.values()),
    },
    redemptions: {
      async findLive(sessionId) {
        const live = findLiveRecord(tables, sessionId);
        return live === null ? null : detached(live);
      },
      countByState: async () => countStates(NO_REDEMPTIONS, tables.redemptions.values()),
    },
  };
}

/** An inspector on the relay tables of an initialized TypeORM data source. */
export function typeOrmInspector(dataSource: DataSource): StorageInspector {
  const tables = relayTables(dataSource);
  const manager = dataSource.manager;
  async function countStates<S extends string>(zero: Readonly<Record<S, number>>, table: TableSql) {
    const { rows } = await runSql<{ state: S; count: number }>(
      manager,
      `SELECT state, count(*)::int AS count FROM ${table.name} GROUP BY state`,
    );
    const counts: Record<S, number> = { ...zero };
    for (const { state, count } of rows) counts[state] = count;
    return counts;
  }
  return {
    sessions: {
      async setState(id, state) {
        await runSql(manager, `UPDATE ${tables.sessions.name} SET state = $2 WHERE id = $1`, [id, state]);
      },
      async count() {
        const { rows } = await runSql<{ count: number }>(manager, `SELECT count(*)::int AS count FROM ${tables.sessions.name}`);
        return rows[0]!.count;
      },
    },
    passes: {
      countByState: () => countStates(NO_PASSES, tables.passes),
    },
    redemptions: {
      findLive: (sessionId) => selectLiveRedemption(manager, tables.redemptions, sessionId),
      countByState: () => countStates(NO_REDEMPTIONS, tables.redemptions),
    },
  };
}
