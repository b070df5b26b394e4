import type { BeginRedemptionInput, RedemptionRecord } from './ports.js';

/**
 * The PENDING record {@link RedemptionStore.begin} inserts for a freshly
 * reserved pass; every storage implementation builds it the same way.
 */
export function newPendingRedemption(input: BeginRedemptionInput, passId: string): RedemptionRecord {
  return {
    key: input.key,
    sessionId: input.sessionId,
    passId,
    state: 'PENDING',
    attempts: 0, // no attempt has started yet: acquireLease counts each one
    leaseOwner: input.leaseOwner,
    leaseExpiresAt: input.leaseExpiresAt,
    responseSealed: null,
    failure: null,
    createdAt: input.now,
    updatedAt: input.now,
  };
}
