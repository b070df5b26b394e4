import type { ClaimStore, VerifiedClaimRecord } from '../../core/storage/ports.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** Completes an insert into the claims table so that the newest claim of a session replaces an older one. */
export const REPLACE_CLAIM = `ON CONFLICT (session_id) DO UPDATE SET
  subject = EXCLUDED.subject, claim_type = EXCLUDED.claim_type, result = EXCLUDED.result,
  methodology = EXCLUDED.methodology, verified_at = EXCLUDED.verified_at`;

/** The claim's column values after its session id: subject, claim type, result, methodology (JSON text), verified at. */
export function claimValues(claim: VerifiedClaimRecord): unknown[] {
  const methodology = claim.methodology === null ? null : JSON.stringify(claim.methodology);
  return [claim.subject, claim.claimType, claim.result, methodology, claim.verifiedAt];
}

/** {@link ClaimStore} on the `persona_relay_verified_claim` table (claims are written by `redemptions.succeed`, or `record`). */
export function createTypeOrmClaimStore({ dataSource, claims, sessions }: RelayTables): ClaimStore {
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
      // One statement: the claim finishes the relay, so its private key goes with the claim stored.
      await runSql(
        manager,
        `WITH recorded AS (
           INSERT INTO ${claims.name} (session_id, subject, claim_type, result, methodology, verified_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6)
           ${REPLACE_CLAIM}
         )
         UPDATE ${sessions.name} SET state = 'claimed', private_key_sealed = NULL WHERE id = $1`,
        [claim.sessionId, ...claimValues(claim)],
      );
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
