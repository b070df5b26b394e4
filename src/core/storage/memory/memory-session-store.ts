import type { SessionStore } from '../ports.js';
import { constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/** {@link SessionStore} over the `sessions` map of `tables` (and `redemptions`, which `forgetKeys` reads). */
export function createMemorySessionStore(tables: MemoryTables): SessionStore {
  return {
    async insert(session) {
      if (tables.sessions.has(session.id)) {
        throw constraintViolation('A relay session with this id already exists', { sessionId: session.id });
      }
      tables.sessions.set(session.id, detached(session));
    },

    async get(id) {
      const session = tables.sessions.get(id);
      return session === undefined ? null : detached(session);
    },

    async forgetKeys(expiredBefore) {
      const pendingSessions = new Set<string>();
      for (const record of tables.redemptions.values()) if (record.state === 'PENDING') pendingSessions.add(record.sessionId);
      let forgotten = 0;
      for (const session of tables.sessions.values()) {
        if (session.privateKeySealed === null || session.expiresAt >= expiredBefore || pendingSessions.has(session.id)) continue;
        tables.sessions.set(session.id, { ...session, privateKeySealed: null });
        forgotten += 1;
      }
      return forgotten;
    },
  };
}
