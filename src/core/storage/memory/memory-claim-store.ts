import type { ClaimStore, VerifiedClaimRecord } from '../ports.js';
import { compareText, constraintViolation, detached, type MemoryTables } from './memory-tables.js';

/** Newest first; the session id breaks ties, as `ORDER BY verified_at DESC, session_id` does in SQL. */
function newestFirst(a: VerifiedClaimRecord, b: VerifiedClaimRecord): number {
  return b.verifiedAt.getTime() - a.verifiedAt.getTime() || compareText(a.sessionId, b.sessionId);
}

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
        .sort(newestFirst)
        .map(detached);
    },

    async record(claim) {
      const session = tables.sessions.get(claim.sessionId);
      // Mirrors the foreign key of the SQL schema.
      if (session === undefined) {
        throw constraintViolation('A claim cannot belong to an unknown session', { sessionId: claim.sessionId });
      }
      tables.claims.set(claim.sessionId, detached(claim));
      tables.sessions.set(session.id, { ...session, state: 'claimed', privateKeySealed: null });
    },

    async hasPassed(subject, claimType) {
      for (const claim of tables.claims.values()) {
        if (claim.subject === subject && claim.claimType === claimType && claim.result === 'passed') return true;
      }
      return false;
    },

    async findPassed(subject, claimType) {
      let newest: VerifiedClaimRecord | null = null;
      for (const claim of tables.claims.values()) {
        if (claim.subject !== subject || claim.claimType !== claimType || claim.result !== 'passed') continue;
        if (newest === null || newestFirst(claim, newest) < 0) newest = claim;
      }
      return newest === null ? null : detached(newest);
    },
  };
}
