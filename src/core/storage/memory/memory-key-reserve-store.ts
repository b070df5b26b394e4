import type { KeyReserveStore, ReservedKeyPairRecord } from '../ports.js';
import { compareText, constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/** Oldest first; the id breaks ties, as `ORDER BY created_at, id` does in SQL. */
function oldestFirst(a: ReservedKeyPairRecord, b: ReservedKeyPairRecord): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || compareText(a.id, b.id);
}

/** {@link KeyReserveStore} over the `keyReserve` map of `tables`; each call runs without an await, so it is atomic. */
export function createMemoryKeyReserveStore(tables: MemoryTables): KeyReserveStore {
  const ofSize = (modulusBits: number) => [...tables.keyReserve.values()].filter((record) => record.modulusBits === modulusBits);
  return {
    async add(records) {
      // All or nothing, like the one INSERT of the SQL store.
      const ids = new Set<string>();
      for (const { id } of records) {
        if (tables.keyReserve.has(id) || ids.has(id)) throw constraintViolation('A reserved key pair with this id already exists', { id });
        ids.add(id);
      }
      for (const record of records) tables.keyReserve.set(record.id, detached(record));
    },

    async take(modulusBits) {
      const oldest = ofSize(modulusBits).sort(oldestFirst)[0];
      if (oldest === undefined) return null;
      tables.keyReserve.delete(oldest.id);
      return oldest;
    },

    async count(modulusBits) {
      return ofSize(modulusBits).length;
    },
  };
}
