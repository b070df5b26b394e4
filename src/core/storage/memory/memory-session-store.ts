import type { SessionStore } from '../ports.js';
import { constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/** {@link SessionStore} over the `sessions` map of `tables`. */
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
  };
}
