import type { RelaySessionRecord, SessionStore } from '../../core/storage/ports.js';
import { RelaySecret } from '../entities/index.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** {@link SessionStore} on the `persona_relay_relay_secret` table. */
export function createTypeOrmSessionStore({ dataSource, sessions }: RelayTables): SessionStore {
  const manager = dataSource.manager;
  return {
    async insert(session) {
      await manager.insert(RelaySecret, session);
    },

    async get(id) {
      const { rows } = await runSql<RelaySessionRecord>(
        manager,
        `SELECT ${sessions.columns} FROM ${sessions.name} WHERE id = $1`,
        [id],
      );
      return rows[0] ?? null;
    },
  };
}
