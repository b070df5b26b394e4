import type { SessionLimitScope, SessionSlotRequest, SessionSlotStore } from '../../core/storage/ports.js';
import { firstFullScope, freeingSlotIndex, limitOf } from '../../core/storage/session-slots.js';
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
 * transaction serialised by a transaction-scoped advisory lock, so the three
 * counts and the insert see every other instance's committed slots: the
 * limits hold exactly, not merely per process. The global limit involves
 * every creation anyway, so one lock costs no concurrency a finer one would
 * give; it is keyed by the ledger table's oid, so relays in other schemas of
 * the same database do not share it.
 */
export function createTypeOrmSessionSlotStore({ dataSource, sessionSlots }: RelayTables): SessionSlotStore {
  return {
    take(request) {
      return dataSource.transaction(async (tx) => {
        await runSql(tx, `SELECT pg_advisory_xact_lock($1::text::regclass::oid::bigint)`, [sessionSlots.name]);
        await runSql(tx, `DELETE FROM ${sessionSlots.name} WHERE taken_at <= $1`, [
          new Date(request.now.getTime() - request.windowMs),
        ]);
        const { rows } = await runSql<{ subject: number; client: number; global: number }>(
          tx,
          `SELECT count(*) FILTER (WHERE subject = $1)::int AS subject,
                  count(*) FILTER (WHERE client = $2)::int AS client,
                  count(*)::int AS global
             FROM ${sessionSlots.name}`,
          [request.subject, request.client],
        );
        const full = firstFullScope(request, rows[0]!);
        if (full === null) {
          await runSql(tx, `INSERT INTO ${sessionSlots.name} (id, subject, client, taken_at) VALUES ($1, $2, $3, $4)`, [
            request.id,
            request.subject,
            request.client,
            request.now,
          ]);
          return { kind: 'taken' as const };
        }
        const scope = scopeCondition(full, request);
        const { rows: freeing } = await runSql<{ takenAt: Date }>(
          tx,
          `SELECT taken_at AS "takenAt" FROM ${sessionSlots.name} ${scope.where} ORDER BY taken_at OFFSET $1 LIMIT 1`,
          [freeingSlotIndex(rows[0]![full], limitOf(request, full)), ...scope.params],
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
