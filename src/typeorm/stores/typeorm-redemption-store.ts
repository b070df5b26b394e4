import type { EntityManager } from 'typeorm';
import { newPendingRedemption } from '../../core/storage/pending-redemption.js';
import type {
  BeginRedemptionInput,
  BeginRedemptionResult,
  PassOutcome,
  PassRecord,
  RedemptionRecord,
  RedemptionState,
  RedemptionStore,
  SessionState,
} from '../../core/storage/ports.js';
import { RelayError, RelayErrorCode } from '../../core/errors.js';
import { IdempotencyRecord, VerifiedClaim } from '../entities/index.js';
import { runSql, type RelayTables, type TableSql } from './relay-tables.js';
import { isUniqueViolation } from './storage-errors.js';

/** The partial unique index allowing one PENDING redemption per session. */
const ONE_PENDING_PER_SESSION = 'UQ_persona_relay_idempotency_record_pending_session';

/**
 * How often `begin` starts over after losing a race for a session whose
 * winning redemption was already gone (FAILED_FINAL or UNKNOWN) when re-read.
 * Each retry needs another racer to start and finish in between.
 */
const BEGIN_ATTEMPTS = 3;

/** What each pass outcome sets on the pass a finished redemption held. */
const SETTLE_PASS: Record<PassOutcome, string> = {
  consumed: `state = 'CONSUMED'`,
  unusable: `state = 'UNUSABLE'`,
  released: `state = 'AVAILABLE', session_id = NULL, reserved_by = NULL`,
};

/**
 * The session's PENDING or SUCCEEDED redemption, newest first, read through
 * `on` (a transaction's manager inside one). Exported for tests, which
 * inspect the table through it.
 */
export async function selectLiveRedemption(
  on: EntityManager,
  redemptions: TableSql,
  sessionId: string,
): Promise<RedemptionRecord | null> {
  const { rows } = await runSql<RedemptionRecord>(
    on,
    `SELECT ${redemptions.columns} FROM ${redemptions.name}
      WHERE session_id = $1 AND state IN ('PENDING', 'SUCCEEDED')
      ORDER BY created_at DESC, key COLLATE "C" DESC
      LIMIT 1`,
    [sessionId],
  );
  return rows[0] ?? null;
}

/** {@link RedemptionStore} on `persona_relay_idempotency_record`; reserves passes in `persona_relay_pre_issued_token`. */
export function createTypeOrmRedemptionStore({ dataSource, sessions, passes, redemptions }: RelayTables): RedemptionStore {
  const manager = dataSource.manager;

  /**
   * Reserves the preferred pass in one statement: SKIP LOCKED passes over
   * rows other transactions are reserving, so racers never wait for nor
   * share a pass.
   */
  async function reservePass(on: EntityManager, input: BeginRedemptionInput): Promise<PassRecord | null> {
    const { rows } = await runSql<PassRecord>(
      on,
      `UPDATE ${passes.name} SET state = 'RESERVED', reserved_by = $1
        WHERE state = 'AVAILABLE' AND id = (
          SELECT id FROM ${passes.name}
           WHERE state = 'AVAILABLE' AND claim_type = $2 AND environment = $3 AND expires_at > $4
             AND (session_id = $5 OR session_id IS NULL)
           ORDER BY session_id IS NULL, expires_at, id COLLATE "C"
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
        RETURNING ${passes.columns}`,
      [input.key, input.claimType, input.environment, input.usableAfter, input.sessionId],
    );
    return rows[0] ?? null;
  }

  /** One try of `begin`, in one transaction; a lost race surfaces as the unique violation. */
  function tryBegin(input: BeginRedemptionInput): Promise<BeginRedemptionResult> {
    return dataSource.transaction(async (tx) => {
      // Racing begins of one session queue on the session's row. Without this,
      // a racer whose live-record read ran before the winner committed would see the
      // winner's pass locked, skip it and answer a spurious no-pass (the
      // service would then buy a pass it does not need). After the lock, the
      // next statement sees the winner's committed record. An unknown session
      // locks nothing and fails on the foreign key below.
      await runSql(tx, `SELECT 1 FROM ${sessions.name} WHERE id = $1 FOR UPDATE`, [input.sessionId]);
      const live = await selectLiveRedemption(tx, redemptions, input.sessionId);
      if (live !== null) return { kind: 'existing', record: live };
      const pass = await reservePass(tx, input);
      if (pass === null) return { kind: 'no-pass' };
      const record = newPendingRedemption(input, pass.id);
      await tx.insert(IdempotencyRecord, record);
      return { kind: 'started', record, pass };
    });
  }

  /**
   * Sets a PENDING record's final state in `tx` (and the response or the
   * failure, whichever is given); returns its session and pass, or null if
   * it was not PENDING.
   */
  async function finish(
    tx: EntityManager,
    key: string,
    state: Exclude<RedemptionState, 'PENDING'>,
    change: { responseSealed?: string; failure?: string },
    now: Date,
  ): Promise<{ sessionId: string; passId: string } | null> {
    const { rows } = await runSql<{ sessionId: string; passId: string }>(
      tx,
      `UPDATE ${redemptions.name}
          SET state = $2, response_sealed = COALESCE($3, response_sealed), failure = COALESCE($4, failure), updated_at = $5
        WHERE key = $1 AND state = 'PENDING'
        RETURNING session_id AS "sessionId", pass_id AS "passId"`,
      [key, state, change.responseSealed ?? null, change.failure ?? null, now],
    );
    return rows[0] ?? null;
  }

  /** Applies `outcome` to the record's pass, if that pass is still reserved by it. */
  async function settlePass(tx: EntityManager, passId: string, key: string, outcome: PassOutcome): Promise<void> {
    await runSql(
      tx,
      `UPDATE ${passes.name} SET ${SETTLE_PASS[outcome]} WHERE id = $1 AND state = 'RESERVED' AND reserved_by = $2`,
      [passId, key],
    );
  }

  async function setSessionState(tx: EntityManager, sessionId: string, state: SessionState): Promise<void> {
    await runSql(tx, `UPDATE ${sessions.name} SET state = $2 WHERE id = $1`, [sessionId, state]);
  }

  return {
    async begin(input) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await tryBegin(input);
        } catch (error) {
          if (!isUniqueViolation(error, ONE_PENDING_PER_SESSION)) throw error;
          // Another instance committed a PENDING record for this session
          // first; our transaction (and its reservation) was rolled back.
          const winner = await selectLiveRedemption(manager, redemptions, input.sessionId);
          if (winner !== null) return { kind: 'existing', record: winner };
          if (attempt === BEGIN_ATTEMPTS) {
            throw new RelayError(RelayErrorCode.STORAGE, 'Concurrent redemptions of one session kept colliding', {
              cause: error,
              context: { sessionId: input.sessionId, attempts: attempt },
            });
          }
        }
      }
    },

    async get(key) {
      const { rows } = await runSql<RedemptionRecord>(
        manager,
        `SELECT ${redemptions.columns} FROM ${redemptions.name} WHERE key = $1`,
        [key],
      );
      return rows[0] ?? null;
    },

    async acquireLease(key, owner, now, leaseExpiresAt) {
      const { rows } = await runSql<RedemptionRecord>(
        manager,
        `UPDATE ${redemptions.name}
            SET lease_owner = $2, lease_expires_at = $4, attempts = attempts + 1, updated_at = $3
          WHERE key = $1 AND state = 'PENDING'
            AND (lease_owner = $2 OR lease_expires_at IS NULL OR lease_expires_at <= $3)
          RETURNING ${redemptions.columns}`,
        [key, owner, now, leaseExpiresAt],
      );
      return rows[0] ?? null;
    },

    async releaseLease(key, owner) {
      await runSql(
        manager,
        `UPDATE ${redemptions.name} SET lease_owner = NULL, lease_expires_at = NULL
          WHERE key = $1 AND lease_owner = $2 AND state = 'PENDING'`,
        [key, owner],
      );
    },

    succeed({ key, responseSealed, passOutcome, claim, now }) {
      return dataSource.transaction(async (tx) => {
        const finished = await finish(tx, key, 'SUCCEEDED', { responseSealed }, now);
        if (finished === null) return false;
        await settlePass(tx, finished.passId, key, passOutcome);
        await setSessionState(tx, finished.sessionId, 'claimed');
        if (claim !== null) {
          // The newest verified claim of a session replaces an older one.
          await tx.upsert(VerifiedClaim, { ...claim, methodology: claim.methodology && [...claim.methodology] }, [
            'sessionId',
          ]);
        }
        return true;
      });
    },

    fail({ key, failure, passOutcome, sessionState, now }) {
      return dataSource.transaction(async (tx) => {
        const finished = await finish(tx, key, 'FAILED_FINAL', { failure }, now);
        if (finished === null) return false;
        await settlePass(tx, finished.passId, key, passOutcome);
        if (sessionState !== undefined) await setSessionState(tx, finished.sessionId, sessionState);
        return true;
      });
    },

    async markUnknown(key, failure, now) {
      const { affected } = await runSql(
        manager,
        `UPDATE ${redemptions.name} SET state = 'UNKNOWN', failure = $2, updated_at = $3
          WHERE key = $1 AND state = 'PENDING'`,
        [key, failure, now],
      );
      return affected > 0;
    },

    async listResumable(now, limit) {
      const { rows } = await runSql<RedemptionRecord>(
        manager,
        `SELECT ${redemptions.columns} FROM ${redemptions.name}
          WHERE state = 'PENDING' AND (lease_expires_at IS NULL OR lease_expires_at <= $1)
          ORDER BY created_at, key COLLATE "C"
          LIMIT $2`,
        [now, limit],
      );
      return rows;
    },
  };
}
