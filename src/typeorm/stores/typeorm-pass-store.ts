import type { PassRecord, PassStore } from '../../core/storage/ports.js';
import { PreIssuedToken } from '../entities/index.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** {@link PassStore} on the `persona_relay_pre_issued_token` table. */
export function createTypeOrmPassStore({ dataSource, passes, sessions }: RelayTables): PassStore {
  const manager = dataSource.manager;
  return {
    async insert(pass) {
      await manager.insert(PreIssuedToken, pass);
    },

    async get(id) {
      const { rows } = await runSql<PassRecord>(manager, `SELECT ${passes.columns} FROM ${passes.name} WHERE id = $1`, [
        id,
      ]);
      return rows[0] ?? null;
    },

    async countAvailable(claimType, environment, usableAfter) {
      const { rows } = await runSql<{ count: number }>(
        manager,
        `SELECT count(*)::int AS count FROM ${passes.name}
          WHERE state = 'AVAILABLE' AND claim_type = $1 AND environment = $2 AND expires_at > $3`,
        [claimType, environment, usableAfter],
      );
      return rows[0]?.count ?? 0;
    },

    async expireUnusable(usableAfter) {
      // A pass a concurrent `begin` is reserving is locked; PostgreSQL re-checks
      // it after that commits and skips it, since it is no longer AVAILABLE.
      const { affected } = await runSql(
        manager,
        `UPDATE ${passes.name} SET state = 'EXPIRED' WHERE state = 'AVAILABLE' AND expires_at <= $1`,
        [usableAfter],
      );
      return affected;
    },

    async unbindFinished(createdBefore) {
      const { affected } = await runSql(
        manager,
        `UPDATE ${passes.name} SET session_id = NULL
          WHERE state = 'AVAILABLE' AND session_id IN (
            SELECT id FROM ${sessions.name} WHERE state <> 'open' OR created_at < $1)`,
        [createdBefore],
      );
      return affected;
    },

    async adoptUnbound({ sessionId, claimType, environment, usableAfter }) {
      // One statement; SKIP LOCKED passes over rows a concurrent `begin` or
      // adoption is taking, so two sessions never adopt the same pass.
      const { rows } = await runSql<PassRecord>(
        manager,
        `UPDATE ${passes.name} SET session_id = $1
          WHERE state = 'AVAILABLE' AND session_id IS NULL AND id = (
            SELECT id FROM ${passes.name}
             WHERE state = 'AVAILABLE' AND session_id IS NULL AND claim_type = $2 AND environment = $3 AND expires_at > $4
             ORDER BY expires_at, id COLLATE "C"
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
          RETURNING ${passes.columns}`,
        [sessionId, claimType, environment, usableAfter],
      );
      return rows[0] ?? null;
    },
  };
}
