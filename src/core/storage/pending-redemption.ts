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
    attempts: initialAttempts(input),
    leaseOwner: input.leaseOwner,
    leaseExpiresAt: input.leaseExpiresAt,
    responseSealed: null,
    failure: null,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/** Attempts a new record starts with: the first one if the caller counts it now; acquireLease counts every later one. */
export function initialAttempts(input: BeginRedemptionInput): number {
  return input.countsFirstAttempt === true ? 1 : 0;
}
