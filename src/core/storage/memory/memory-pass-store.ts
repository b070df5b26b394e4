import type { PassRecord, PassStore } from '../ports.js';
import { compareText, constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/** {@link PassStore} over the `passes` map of `tables`. */
export function createMemoryPassStore(tables: MemoryTables): PassStore {
  /** Replaces every row `match` selects with `change(row)`; returns how many. */
  function updateWhere(match: (pass: PassRecord) => boolean, change: (pass: PassRecord) => PassRecord): number {
    let updated = 0;
    for (const pass of tables.passes.values()) {
      if (!match(pass)) continue;
      tables.passes.set(pass.id, change(pass));
      updated += 1;
    }
    return updated;
  }

  return {
    async insert(pass) {
      if (tables.passes.has(pass.id)) {
        throw constraintViolation('A Privacy Pass with this id already exists', { passId: pass.id });
      }
      // Mirrors the foreign key of the SQL schema.
      if (pass.sessionId !== null && !tables.sessions.has(pass.sessionId)) {
        throw constraintViolation('A Privacy Pass cannot be bound to an unknown session', { sessionId: pass.sessionId });
      }
      tables.passes.set(pass.id, detached(pass));
    },

    async get(id) {
      const pass = tables.passes.get(id);
      return pass === undefined ? null : detached(pass);
    },

    async countAvailable(claimType, environment, usableAfter) {
      let count = 0;
      for (const pass of tables.passes.values()) {
        if (
          pass.state === 'AVAILABLE' &&
          pass.claimType === claimType &&
          pass.environment === environment &&
          pass.expiresAt > usableAfter
        ) {
          count += 1;
        }
      }
      return count;
    },

    async expireUnusable(usableAfter) {
      return updateWhere(
        (pass) => pass.state === 'AVAILABLE' && pass.expiresAt <= usableAfter,
        (pass) => ({ ...pass, state: 'EXPIRED' }),
      );
    },

    async unbindFinished(createdBefore) {
      const finished = (sessionId: string) => {
        const session = tables.sessions.get(sessionId);
        return session !== undefined && (session.state !== 'open' || session.createdAt < createdBefore);
      };
      return updateWhere(
        (pass) => pass.state === 'AVAILABLE' && pass.sessionId !== null && finished(pass.sessionId),
        (pass) => ({ ...pass, sessionId: null }),
      );
    },

    async adoptUnbound({ sessionId, claimType, environment, usableAfter }) {
      let best: PassRecord | null = null;
      for (const pass of tables.passes.values()) {
        if (
          pass.state !== 'AVAILABLE' ||
          pass.sessionId !== null ||
          pass.claimType !== claimType ||
          pass.environment !== environment ||
          pass.expiresAt <= usableAfter
        ) {
          continue;
        }
        const earlier =
          best === null ||
          pass.expiresAt < best.expiresAt ||
          (pass.expiresAt.getTime() === best.expiresAt.getTime() && compareText(pass.id, best.id) < 0);
        if (earlier) best = pass;
      }
      if (best === null) return null;
      // Mirrors the foreign key, which the SQL update only meets when it binds a row.
      if (!tables.sessions.has(sessionId)) {
        throw constraintViolation('A Privacy Pass cannot be bound to an unknown session', { sessionId });
      }
      const adopted: PassRecord = { ...best, sessionId };
      tables.passes.set(adopted.id, adopted);
      return detached(adopted);
    },
  };
}
