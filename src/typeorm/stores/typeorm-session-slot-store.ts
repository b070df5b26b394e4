import type { SessionLimitScope, SessionSlotRequest, SessionSlotStore } from '../../core/storage/ports.js';
import { firstFullScope, freeingSlotIndex, limitOf, type SessionSlotCounts } from '../../core/storage/session-slots.js';
import { runSql, type RelayTables } from './relay-tables.js';

/** The condition selecting `scope`'s slots, its parameter numbered from 2 ($1 is the caller's). */
function scopeCondition(scope: SessionLimitScope, request: SessionSlotRequest): { where: string; params: unknown[] } {
  switch (scope) {
    case 'subject':
      return { where: 'WHERE subject = $2', params: [request.subject] };
    case 'client':
      return { where: 'WHERE client = $2', params: [request.client] };
    case 'global':
      return { where: '', params: [] };
  }
}

/**
 * {@link SessionSlotStore} on `persona_relay_session_slot`. Each `take` is one
 * transaction serialised by a transaction-scoped advisory lock, taken in a
 * statement of its own so that the next one (counts and insert) reads a
 * snapshot with every other instance's committed slots: the
 * limits hold exactly, not merely per process. The global limit involves
 * every creation anyway, so one lock costs no concurrency a finer one would
 * give; it is keyed by the ledger table's oid, so relays in other schemas of
 * the same database do not share it.
 */
export function createTypeOrmSessionSlotStore({ dataSource, sessionSlots }: RelayTables): SessionSlotStore {
  return {
    take(request) {
      const windowStart = new Date(request.now.getTime() - request.windowMs);
      return dataSource.transaction(async (tx) => {
        await runSql(tx, `SELECT pg_advisory_xact_lock($1::text::regclass::oid::bigint)`, [sessionSlots.name]);
        // One statement forgets, counts and takes. It reads one snapshot, in
        // which the forgotten slots are still there: hence the window in the
        // count. The insert's condition is firstFullScope's, in SQL. (The
        // statements after it no longer see the forgotten slots.)
        const { rows } = await runSql<SessionSlotCounts & { taken: boolean }>(
          tx,
          `WITH forgotten AS (
             DELETE FROM ${sessionSlots.name} WHERE taken_at <= $3
           ), held AS (
             SELECT count(*) FILTER (WHERE subject = $1)::int AS subject,
                    count(*) FILTER (WHERE client = $2)::int AS client,
                    count(*)::int AS global
               FROM ${sessionSlots.name} WHERE taken_at > $3
           ), taken AS (
             INSERT INTO ${sessionSlots.name} (id, subject, client, taken_at)
             SELECT $4, $1, $2, $5 FROM held
              WHERE subject < $6 AND ($2::text IS NULL OR client < $7) AND global < $8
             RETURNING id
           )
           SELECT held.*, EXISTS (SELECT 1 FROM taken) AS taken FROM held`,
          [
            request.subject,
            request.client,
            windowStart,
            request.id,
            request.now,
            request.limits.perSubject,
            request.limits.perClient,
            request.limits.global,
          ],
        );
        const { taken, ...counts } = rows[0]!;
        if (taken) return { kind: 'taken' as const };
        const full = firstFullScope(request, counts)!;
        const scope = scopeCondition(full, request);
        const { rows: freeing } = await runSql<{ takenAt: Date }>(
          tx,
          `SELECT taken_at AS "takenAt" FROM ${sessionSlots.name} ${scope.where} ORDER BY taken_at OFFSET $1 LIMIT 1`,
          [freeingSlotIndex(counts[full], limitOf(request, full)), ...scope.params],
        );
        return {
          kind: 'refused' as const,
          scope: full,
          freesAt: new Date(freeing[0]!.takenAt.getTime() + request.windowMs),
        };
      });
    },

    async release(id) {
      await runSql(dataSource.manager, `DELETE FROM ${sessionSlots.name} WHERE id = $1`, [id]);
    },
  };
}
