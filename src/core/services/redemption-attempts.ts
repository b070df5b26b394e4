import type { ResolvedRelayOptions } from '../config/index.js';
import { RelayError, RelayErrorCode } from '../errors.js';
import type { RelayLogger } from '../logger.js';
import type { RelayMetrics } from '../observability/metrics.js';
import type { RedemptionRecord, RelaySessionRecord, RelayStorage } from '../storage/index.js';

/**
 * Thrown by {@link startAttempt} when this caller no longer holds the
 * redemption's lease (another caller or instance took it after ours ran out,
 * or finished the record). Not retried: the caller waits for the holder.
 */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';

  constructor() {
    super('another caller holds the lease of this redemption');
  }
}

/** What {@link startAttempt} needs. */
export interface AttemptDeps {
  readonly storage: RelayStorage;
  readonly options: ResolvedRelayOptions;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  readonly metrics: Pick<RelayMetrics, 'recordRedemption'>;
}

/**
 * The redemption's hook before each request to Persona (first attempt and
 * every retry): closes the record as UNKNOWN once the replay window is over;
 * otherwise takes or renews the lease and counts the attempt on the record,
 * so every request is recorded before it is sent.
 *
 * @throws LeaseLost when someone else holds the lease; RelayError
 *   `REDEMPTION_UNKNOWN` when the replay window closed.
 */
export async function startAttempt(
  deps: AttemptDeps,
  session: RelaySessionRecord,
  record: RedemptionRecord,
  owner: string,
): Promise<void> {
  const { storage, clock, options } = deps;
  const now = clock();
  if (now.getTime() - record.createdAt.getTime() > options.redemption.replayWindowMs) {
    const current = await storage.redemptions.get(record.key);
    // A live lease of someone else's means they are mid-request: their outcome decides.
    if (current && current.leaseOwner !== owner && !leaseIsFree(current, now)) throw new LeaseLost();
    await storage.redemptions.markUnknown(record.key, 'replay window closed before an answer was stored', now);
    deps.metrics.recordRedemption(session, 'unknown');
    deps.logger.error('redemption outcome unknown: replay window closed', {
      idempotencyKey: record.key,
      sessionId: session.id,
    });
    throw new RelayError(RelayErrorCode.REDEMPTION_UNKNOWN, 'The outcome of this redemption could not be established', {
      context: { sessionId: session.id },
    });
  }
  const leased = await storage.redemptions.acquireLease(record.key, owner, now, leaseEnd(now, options));
  if (!leased) throw new LeaseLost();
}

/** Whether nobody holds the record's lease at `now`. */
export function leaseIsFree(record: RedemptionRecord, now: Date): boolean {
  return record.leaseExpiresAt === null || record.leaseExpiresAt <= now;
}

/** When a lease taken or renewed at `now` runs out. */
export function leaseEnd(now: Date, options: ResolvedRelayOptions): Date {
  return new Date(now.getTime() + options.redemption.leaseMs);
}
