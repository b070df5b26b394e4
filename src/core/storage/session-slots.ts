import type { SessionLimitScope, SessionSlotRequest } from './ports.js';

/** Slots held in each scope within the window, before the new one. */
export interface SessionSlotCounts {
  readonly subject: number;
  readonly client: number;
  readonly global: number;
}

/**
 * The first scope at its limit, in the order {@link SessionSlotStore.take}
 * checks them; `null` when the slot may be taken. Every storage
 * implementation decides with this, so they refuse alike.
 */
export function firstFullScope(request: SessionSlotRequest, counts: SessionSlotCounts): SessionLimitScope | null {
  const { limits } = request;
  if (counts.subject >= limits.perSubject) return 'subject';
  if (request.client !== null && counts.client >= limits.perClient) return 'client';
  if (counts.global >= limits.global) return 'global';
  return null;
}

/** The limit of `scope`. */
export function limitOf(request: SessionSlotRequest, scope: SessionLimitScope): number {
  const { limits } = request;
  return scope === 'subject' ? limits.perSubject : scope === 'client' ? limits.perClient : limits.global;
}

/**
 * Position (0 = oldest) of the slot whose leaving the window frees one place
 * in a scope holding `held` slots: with `held - limit` older ones gone too,
 * the scope is below its limit again.
 */
export function freeingSlotIndex(held: number, limit: number): number {
  return Math.max(0, held - limit);
}
