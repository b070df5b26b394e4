import type { KeyReserveStore, ReservedKeyPairRecord } from '../../core/storage/ports.js';
import { ReservedKeyPair } from '../entities/index.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** {@link KeyReserveStore} on the `persona_relay_key_reserve` table. */
export function createTypeOrmKeyReserveStore({ dataSource, keyReserve }: RelayTables): KeyReserveStore {
  const manager = dataSource.manager;
  return {
    async add(records) {
      if (records.length > 0) await manager.insert(ReservedKeyPair, records.map((record) => ({ ...record })));
    },

    async take(modulusBits) {
      // One statement: SKIP LOCKED passes over a row another instance is taking right now instead of waiting for it,
      // and the DELETE makes the hand-out final, so no two callers ever get the same key pair.
      const { rows } = await runSql<ReservedKeyPairRecord>(
        manager,
        `DELETE FROM ${keyReserve.name}
          WHERE id = (SELECT id FROM ${keyReserve.name}
                       WHERE modulus_bits = $1
                       ORDER BY created_at, id
                       LIMIT 1
                       FOR UPDATE SKIP LOCKED)
          RETURNING ${keyReserve.columns}`,
        [modulusBits],
      );
      return rows[0] ?? null;
    },

    async count(modulusBits) {
      const { rows } = await runSql<{ count: number }>(
        manager,
        `SELECT count(*)::int AS count FROM ${keyReserve.name} WHERE modulus_bits = $1`,
        [modulusBits],
      );
      return rows[0]!.count;
    },
  };
}
