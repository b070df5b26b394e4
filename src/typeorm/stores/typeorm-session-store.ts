import type { RelaySessionRecord, SessionStore } from '../../core/storage/ports.js';
import { RelaySecret } from '../entities/index.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** {@link SessionStore} on the `persona_relay_relay_secret` table. */
export function createTypeOrmSessionStore({ dataSource, sessions, redemptions }: RelayTables): SessionStore {
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

    async forgetKeys(expiredBefore) {
      // A relay this far past its expiry is dead at Persona too: a redemption begun behind the check gets no payload to read.
      const { affected } = await runSql(
        manager,
        `UPDATE ${sessions.name} AS session SET private_key_sealed = NULL
          WHERE session.private_key_sealed IS NOT NULL
            AND session.expires_at < $1
            AND NOT EXISTS (SELECT 1 FROM ${redemptions.name} AS redemption
                             WHERE redemption.session_id = session.id AND redemption.state = 'PENDING')`,
        [expiredBefore],
      );
      return affected;
    },
  };
}
