import type { EntityManager } from 'typeorm';
import { initialAttempts, newPendingRedemption } from '../../core/storage/pending-redemption.js';
import type {
  BeginRedemptionInput,
  BeginRedemptionResult,
  PassOutcome,
  PassRecord,
  RedemptionRecord,
  RedemptionState,
  RedemptionStore,
} from '../../core/storage/ports.js';
import { RelayError, RelayErrorCode } from '../../core/errors.js';
import { prefixedColumns, recordAt, runSql, type RelayTables, type TableSql } from './relay-tables.js';
import { claimValues, REPLACE_CLAIM } from './typeorm-claim-store.js';
import { isUniqueViolation } from './storage-errors.js';

/** The partial unique index allowing one PENDING redemption per session. */
const ONE_PENDING_PER_SESSION = 'UQ_persona_relay_idempotency_record_pending_session';

/**
 * How often `begin` starts over after losing a race for a session whose
 * winning redemption was already gone (FAILED_FINAL or UNKNOWN) when re-read.
 * Each retry needs another racer to start and finish in between.
 */
const BEGIN_ATTEMPTS = 3;

/**
 * How often `begin` waits for reservations in flight and tries again after
 * finding no pass while candidates were still being reserved or released.
 */
const NO_PASS_RECHECKS = 3;

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
export function createTypeOrmRedemptionStore({ dataSource, sessions, passes, redemptions, claims }: RelayTables): RedemptionStore {
  const manager = dataSource.manager;

  /**
   * The passes `begin` may reserve, best first, with `$n` … `$n+3` the claim
   * type, environment, usableAfter and session id; `gate` must hold as well.
   */
  function candidatePasses(n: number, gate = 'true'): string {
    return `FROM ${passes.name}
     WHERE ${gate} AND state = 'AVAILABLE' AND claim_type = $${n} AND environment = $${n + 1} AND expires_at > $${n + 2}
       AND (session_id = $${n + 3} OR session_id IS NULL)
     ORDER BY session_id IS NULL, expires_at, id COLLATE "C"`;
  }

  /**
   * One try of `begin`, as one statement: the live record if there is one;
   * otherwise the preferred pass is reserved (SKIP LOCKED passes over rows
   * other statements are reserving, so racers never wait for nor share a
   * pass) and the PENDING record inserted. A racer of the same session that
   * commits first surfaces as the unique violation of the insert.
   */
  async function tryBegin(input: BeginRedemptionInput): Promise<BeginRedemptionResult> {
    const { rows } = await runSql(
      manager,
      `WITH live AS (
         SELECT ${redemptions.columns} FROM ${redemptions.name}
          WHERE session_id = $5 AND state IN ('PENDING', 'SUCCEEDED')
          ORDER BY created_at DESC, key COLLATE "C" DESC
          LIMIT 1
       ), reserved AS (
         UPDATE ${passes.name} SET state = 'RESERVED', reserved_by = $1
          WHERE state = 'AVAILABLE' AND id = (
            SELECT id ${candidatePasses(2, 'NOT EXISTS (SELECT 1 FROM live)')}
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
          RETURNING ${passes.columns}
       ), inserted AS (
         INSERT INTO ${redemptions.name} (key, session_id, pass_id, state, attempts, lease_owner, lease_expires_at, created_at, updated_at)
         SELECT $1, $5, reserved.id, 'PENDING', $6::int, $7, $8::timestamptz, $9::timestamptz, $9::timestamptz FROM reserved
       )
       SELECT ${prefixedColumns(redemptions, 'live', 'live')}, ${prefixedColumns(passes, 'reserved', 'pass')}
         FROM (SELECT) AS one LEFT JOIN live ON true LEFT JOIN reserved ON true`,
      [
        input.key,
        input.claimType,
        input.environment,
        input.usableAfter,
        input.sessionId,
        initialAttempts(input),
        input.leaseOwner,
        input.leaseExpiresAt,
        input.now,
      ],
    );
    const row = rows[0]!;
    const live = recordAt<RedemptionRecord>(row, redemptions, 'live', 'key');
    if (live !== null) return { kind: 'existing', record: live };
    const pass = recordAt<PassRecord>(row, passes, 'pass', 'id');
    if (pass === null) return { kind: 'no-pass' };
    return { kind: 'started', record: newPendingRedemption(input, pass.id), pass };
  }

  /**
   * `tryBegin`, started over when it loses the race for the session's
   * PENDING record to a winner that is already gone when re-read.
   */
  async function beginOrJoin(input: BeginRedemptionInput): Promise<BeginRedemptionResult> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await tryBegin(input);
      } catch (error) {
        if (!isUniqueViolation(error, ONE_PENDING_PER_SESSION)) throw error;
        // Another instance committed a PENDING record for this session
        // first; our statement (and its reservation) was rolled back.
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
  }

  /**
   * Waits until no statement holds a candidate pass of `input` for
   * reservation, and counts those still AVAILABLE then. A KEY SHARE lock
   * waits for the reserving statements' FOR UPDATE locks only, never for
   * expiry or unbinding updates, and no reservation waits for it, so it
   * cannot take part in a deadlock.
   */
  async function awaitReservationsInFlight(input: BeginRedemptionInput): Promise<number> {
    const { rows } = await runSql(manager, `SELECT id ${candidatePasses(1)} FOR KEY SHARE`, [
      input.claimType,
      input.environment,
      input.usableAfter,
      input.sessionId,
    ]);
    return rows.length;
  }

  /**
   * Finishes a PENDING record and settles its pass in one statement, with
   * `also` (more CTEs reading `finished`) in the same step. Returns whether
   * the record was PENDING. Parameters: $1 key, $2 state, $3 response,
   * $4 failure, $5 now, then those of `also`.
   */
  async function finish(
    state: Exclude<RedemptionState, 'PENDING'>,
    change: { key: string; responseSealed?: string; failure?: string; now: Date; passOutcome: PassOutcome },
    also: { ctes: string; params: unknown[] },
  ): Promise<boolean> {
    const { rows } = await runSql(
      manager,
      `WITH finished AS (
         UPDATE ${redemptions.name}
            SET state = $2, response_sealed = COALESCE($3, response_sealed), failure = COALESCE($4, failure), updated_at = $5
          WHERE key = $1 AND state = 'PENDING'
          RETURNING session_id, pass_id
       ), settled AS (
         UPDATE ${passes.name} SET ${SETTLE_PASS[change.passOutcome]}
          WHERE id = (SELECT pass_id FROM finished) AND state = 'RESERVED' AND reserved_by = $1
       )${also.ctes}
       SELECT 1 FROM finished`,
      [change.key, state, change.responseSealed ?? null, change.failure ?? null, change.now, ...also.params],
    );
    return rows.length > 0;
  }

  return {
    async begin(input) {
      let result = await beginOrJoin(input);
      // Nothing was reservable, perhaps only because a racer of this session
      // holds the pass we would take, its record not yet committed when we
      // looked. Once the reservations in flight have ended, another try sees
      // that racer's record (or the pass again, if it rolled back). With no
      // candidate left by then, that try's answer is final.
      for (let recheck = 1; result.kind === 'no-pass' && recheck <= NO_PASS_RECHECKS; recheck += 1) {
        const available = await awaitReservationsInFlight(input);
        result = await beginOrJoin(input);
        if (available === 0) break;
      }
      return result;
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
      // A read claim finishes the relay: its private key is deleted with the claim stored.
      const claimed = `, claimed AS (
         UPDATE ${sessions.name} SET state = 'claimed'${claim === null ? '' : ', private_key_sealed = NULL'}
          WHERE id = (SELECT session_id FROM finished)
       )`;
      if (claim === null) return finish('SUCCEEDED', { key, responseSealed, now, passOutcome }, { ctes: claimed, params: [] });
      // The newest verified claim of a session replaces an older one.
      const recorded = `, recorded AS (
         INSERT INTO ${claims.name} (session_id, subject, claim_type, result, methodology, verified_at)
         SELECT session_id, $6, $7, $8, $9::jsonb, $10::timestamptz FROM finished
         ${REPLACE_CLAIM}
       )`;
      return finish('SUCCEEDED', { key, responseSealed, now, passOutcome }, { ctes: claimed + recorded, params: claimValues(claim) });
    },

    fail({ key, failure, passOutcome, sessionState, now }) {
      const ended =
        sessionState === undefined
          ? { ctes: '', params: [] }
          : {
              ctes: `, ended AS (UPDATE ${sessions.name} SET state = $6 WHERE id = (SELECT session_id FROM finished))`,
              params: [sessionState],
            };
      return finish('FAILED_FINAL', { key, failure, now, passOutcome }, ended);
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
