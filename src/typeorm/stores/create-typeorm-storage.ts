import type { DataSource } from 'typeorm';
import type { RelayStorage } from '../../core/storage/ports.js';
import { relayTables, runSql } from './relay-tables.js';
import { withStorageErrors } from './storage-errors.js';
import { createTypeOrmClaimStore } from './typeorm-claim-store.js';
import { createTypeOrmKeyReserveStore } from './typeorm-key-reserve-store.js';
import { createTypeOrmPassStore } from './typeorm-pass-store.js';
import { createTypeOrmRedemptionStore } from './typeorm-redemption-store.js';
import { createTypeOrmSessionSlotStore } from './typeorm-session-slot-store.js';
import { createTypeOrmSessionStore } from './typeorm-session-store.js';

/**
 * A {@link RelayStorage} on an initialized TypeORM data source whose schema
 * has persona-relay's entities and migrations (PostgreSQL, or embedded
 * PGlite from {@link createEmbeddedDataSource}).
 *
 * Every method is one statement or one transaction, safe with several app
 * instances on one PostgreSQL database. Failures reject with a RelayError
 * `ERR_RELAY_STORAGE` whose `cause` is the database error. The data source
 * stays the caller's: `close()` leaves it open, destroy it yourself.
 */
export function createTypeOrmStorage(dataSource: DataSource): RelayStorage {
  const tables = relayTables(dataSource);
  return {
    sessions: withStorageErrors('sessions', createTypeOrmSessionStore(tables)),
    sessionSlots: withStorageErrors('sessionSlots', createTypeOrmSessionSlotStore(tables)),
    passes: withStorageErrors('passes', createTypeOrmPassStore(tables)),
    redemptions: withStorageErrors('redemptions', createTypeOrmRedemptionStore(tables)),
    claims: withStorageErrors('claims', createTypeOrmClaimStore(tables)),
    keyReserve: withStorageErrors('keyReserve', createTypeOrmKeyReserveStore(tables)),
    ...withStorageErrors('storage', {
      async ping() {
        await runSql(dataSource.manager, 'SELECT 1');
      },
      // The storage opened no connection of its own: the data source's owner closes it.
      async close() {},
    }),
  };
}
