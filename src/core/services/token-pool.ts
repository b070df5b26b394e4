import { setTimeout as sleep } from 'node:timers/promises';
import type { RelayEnvironment, ResolvedRelayOptions } from '../config/index.js';
import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';
import type { RelayMetrics } from '../observability/metrics.js';
import type { RelayStorage } from '../storage/index.js';
import type { PrivacyPassService } from './privacy-pass.service.js';

/** Dependencies of {@link TokenPool}. */
export interface TokenPoolDeps {
  readonly options: ResolvedRelayOptions;
  readonly storage: RelayStorage;
  readonly passes: PrivacyPassService;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Uniform random number in [0, 1): sizes the gaps between issuances and between rounds. */
  readonly random: () => number;
  /** Aborted on shutdown: ends the refill loop and cuts short the waits of a round in progress. */
  readonly shutdown: AbortSignal;
  readonly metrics: Pick<RelayMetrics, 'recordPassesExpired'>;
}

/** Outcome of one refill round. */
export interface RefillReport {
  /** Passes issued in this round. */
  readonly issued: number;
  /** AVAILABLE passes that had become unusable and were marked EXPIRED (waste). */
  readonly expired: number;
  /** Issuances that failed (logged). */
  readonly failed: number;
}

/**
 * Keeps `pool.size` usable passes per (environment, claim type) ready in
 * `pool` issuance mode. Refill rounds run at randomized intervals and the
 * passes of one round are issued at randomized gaps, so Persona's view of
 * issuance times follows the pool's clock, not any user's activity.
 *
 * Every mode also uses {@link TokenPool.expireStale}: passes are never
 * presented within the safety margin of their expiry.
 *
 * @example
 * ```ts
 * const shutdown = new AbortController();
 * const pool = new TokenPool({ options, storage, passes, logger, clock, random, shutdown: shutdown.signal });
 * await pool.refill(); // fill once now
 * pool.start();        // and keep it full in the background
 * // on exit:
 * shutdown.abort();
 * await pool.whenStopped();
 * ```
 */
export class TokenPool {
  private loop: Promise<void> | undefined;
  private refilling: Promise<RefillReport> | undefined;

  constructor(private readonly deps: TokenPoolDeps) {}

  /** Starts the background refill loop (once; it runs until the shutdown signal aborts). */
  start(): void {
    this.loop ??= this.refillLoop();
  }

  /** Resolves once the loop and any round in progress have ended; call it after aborting the shutdown signal. */
  async whenStopped(): Promise<void> {
    await Promise.allSettled([this.loop, this.refilling]);
  }

  /** Marks passes too close to expiry as EXPIRED. Returns how many. */
  async expireStale(): Promise<number> {
    const { storage, options, clock } = this.deps;
    const expired = await storage.passes.expireUnusable(new Date(clock().getTime() + options.tokenExpiryMarginMs));
    if (expired > 0) this.deps.logger.log('privacy passes expired unused', { count: expired });
    this.deps.metrics.recordPassesExpired(expired);
    return expired;
  }

  /** Usable passes of this kind right now. */
  async depth(claimType: string, environment: RelayEnvironment = this.deps.options.environment): Promise<number> {
    const { storage, options, clock } = this.deps;
    return storage.passes.countAvailable(claimType, environment, new Date(clock().getTime() + options.tokenExpiryMarginMs));
  }

  /**
   * One refill round for every allowed claim type: expire stale passes, then
   * issue the deficit. Concurrent calls share one round. Rejects with the
   * shutdown signal's reason when shutdown interrupts the round.
   */
  refill(options: { spread?: boolean } = {}): Promise<RefillReport> {
    this.refilling ??= this.runRefill(options.spread ?? false).finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async runRefill(spread: boolean): Promise<RefillReport> {
    const { options, shutdown } = this.deps;
    const expired = await this.expireStale();
    let issued = 0;
    let failed = 0;
    for (const claimType of options.allowedClaimTypes) {
      // The depth is read again before every issuance, not once per round: instances sharing a
      // database that refill at the same time then see each other's passes, so together they overfill
      // the pool by at most one pass per extra instance instead of by a whole round each.
      // Bounded per round, in case redemptions drain the pool as fast as it fills.
      for (let round = 0; round < options.pool.size && (await this.depth(claimType)) < options.pool.size; round += 1) {
        shutdown.throwIfAborted();
        if (spread) await sleep(this.deps.random() * options.pool.issueSpreadMs, undefined, { signal: shutdown, ref: false });
        if ((await this.depth(claimType)) >= options.pool.size) break;
        try {
          // A random pause between the anonymous challenge and the identified signing call keeps the two unpaired.
          await this.deps.passes.issue({
            claimType,
            environment: options.environment,
            signingDelayMs: Math.floor(this.deps.random() * options.issuanceJitterMs),
            signal: shutdown,
          });
          issued += 1;
        } catch (error) {
          shutdown.throwIfAborted();
          failed += 1;
          this.deps.logger.warn('pool issuance failed', { claimType, ...describeError(error) });
          break; // Persona is unhappy: try again next round rather than hammering it.
        }
      }
    }
    return { issued, expired, failed };
  }

  /** Refill rounds at random points in [0.5, 1.5) × the interval, the first at once, until shutdown. */
  private async refillLoop(): Promise<void> {
    const { options, shutdown, logger } = this.deps;
    let pauseMs = 0;
    while (!shutdown.aborted) {
      try {
        await sleep(pauseMs, undefined, { signal: shutdown, ref: false });
        await this.refill({ spread: true });
      } catch (error) {
        if (shutdown.aborted) return;
        logger.warn('pool refill round failed', describeError(error));
      }
      pauseMs = options.pool.refillIntervalMs * (0.5 + this.deps.random());
    }
  }
}
