import type { ClaimStore } from '../ports.js';
import { compareText, constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/** {@link ClaimStore} over the `claims` map of `tables` (claims are written by `redemptions.succeed`, or `record`). */
export function createMemoryClaimStore(tables: MemoryTables): ClaimStore {
  return {
    async getBySession(sessionId) {
      const claim = tables.claims.get(sessionId);
      return claim === undefined ? null : detached(claim);
    },

    async listBySubject(subject) {
      return [...tables.claims.values()]
        .filter((claim) => claim.subject === subject)
        // Newest first.
        .sort((a, b) => b.verifiedAt.getTime() - a.verifiedAt.getTime() || compareText(a.sessionId, b.sessionId))
        .map(detached);
    },

    async record(claim) {
      // Mirrors the foreign key of the SQL schema.
      if (!tables.sessions.has(claim.sessionId)) {
        throw constraintViolation('A claim cannot belong to an unknown session', { sessionId: claim.sessionId });
      }
      tables.claims.set(claim.sessionId, detached(claim));
    },

    async hasPassed(subject, claimType) {
      for (const claim of tables.claims.values()) {
        if (claim.subject === subject && claim.claimType === claimType && claim.result === 'passed') return true;
      }
      return false;
    },
  };
}
