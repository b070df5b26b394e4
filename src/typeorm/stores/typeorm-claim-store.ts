import type { ClaimStore, VerifiedClaimRecord } from '../../core/storage/ports.js';
import { VerifiedClaim } from '../entities/index.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** {@link ClaimStore} on the `persona_relay_verified_claim` table (claims are written by `redemptions.succeed`, or `record`). */
export function createTypeOrmClaimStore({ dataSource, claims }: RelayTables): ClaimStore {
  const manager = dataSource.manager;
  return {
    async getBySession(sessionId) {
      const { rows } = await runSql<VerifiedClaimRecord>(
        manager,
        `SELECT ${claims.columns} FROM ${claims.name} WHERE session_id = $1`,
        [sessionId],
      );
      return rows[0] ?? null;
    },

    async listBySubject(subject) {
      const { rows } = await runSql<VerifiedClaimRecord>(
        manager,
        `SELECT ${claims.columns} FROM ${claims.name} WHERE subject = $1 ORDER BY verified_at DESC, session_id COLLATE "C"`,
        [subject],
      );
      return rows;
    },

    async record(claim) {
      await manager.upsert(VerifiedClaim, { ...claim, methodology: claim.methodology && [...claim.methodology] }, [
        'sessionId',
      ]);
    },

    async hasPassed(subject, claimType) {
      const { rows } = await runSql<{ passed: boolean }>(
        manager,
        `SELECT EXISTS (
           SELECT 1 FROM ${claims.name} WHERE subject = $1 AND claim_type = $2 AND result = 'passed'
         ) AS passed`,
        [subject, claimType],
      );
      return rows[0]?.passed === true;
    },

    async findPassed(subject, claimType) {
      // The (subject, claim_type) index narrows the scan to this subject's claims of this type.
      const { rows } = await runSql<VerifiedClaimRecord>(
        manager,
        `SELECT ${claims.columns} FROM ${claims.name}
          WHERE subject = $1 AND claim_type = $2 AND result = 'passed'
          ORDER BY verified_at DESC, session_id COLLATE "C"
          LIMIT 1`,
        [subject, claimType],
      );
      return rows[0] ?? null;
    },
  };
}
