import type { SessionLimitScope, SessionSlotRequest, SessionSlotStore } from '../ports.js';
import { firstFullScope, freeingSlotIndex, limitOf } from '../session-slots.js';
import type { MemorySessionSlot, MemoryTables } from './memory-tables.js';

/** Whether `slot` counts in `scope` for `request`. */
function inScope(slot: MemorySessionSlot, scope: SessionLimitScope, request: SessionSlotRequest): boolean {
  if (scope === 'subject') return slot.subject === request.subject;
  if (scope === 'client') return slot.client === request.client;
  return true;
}

/** {@link SessionSlotStore} over the `sessionSlots` map of `tables`; each call runs without an await, so it is atomic. */
export function createMemorySessionSlotStore(tables: MemoryTables): SessionSlotStore {
  return {
    async take(request) {
      const windowStart = request.now.getTime() - request.windowMs;
      for (const [id, slot] of tables.sessionSlots) {
        if (slot.takenAt.getTime() <= windowStart) tables.sessionSlots.delete(id);
      }
      const held = [...tables.sessionSlots.values()];
      const count = (scope: SessionLimitScope) => held.filter((slot) => inScope(slot, scope, request)).length;
      const full = firstFullScope(request, { subject: count('subject'), client: count('client'), global: count('global') });
      if (full === null) {
        tables.sessionSlots.set(request.id, {
          id: request.id,
          subject: request.subject,
          client: request.client,
          takenAt: new Date(request.now),
        });
        return { kind: 'taken' };
      }
      const oldestFirst = held
        .filter((slot) => inScope(slot, full, request))
        .map((slot) => slot.takenAt.getTime())
        .sort((a, b) => a - b);
      const freeing = oldestFirst[freeingSlotIndex(oldestFirst.length, limitOf(request, full))]!;
      return { kind: 'refused', scope: full, freesAt: new Date(freeing + request.windowMs) };
    },

    async release(id) {
      tables.sessionSlots.delete(id);
    },
  };
}
