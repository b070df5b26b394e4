import type { RelayEnvironment, ResolvedRelayOptions } from '../config/index.js';
import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';
import type { RelayStorage } from '../storage/index.js';
import type { PrivacyPassService } from './privacy-pass.service.js';

/** Dependencies of {@link TokenPool}. */
export interface TokenPoolDeps {
  readonly options: ResolvedRelayOptions;
  readonly storage: RelayStorage;
  readonly passes: PrivacyPassService;
  readonly logger: RelayLogger;
  readonly clock: () => Date;
  /** Uniform random number in [0, 1); injectable for tests. */
  readonly random?: () => number;
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
 * const pool = new TokenPool({ options, storage, passes, logger, clock: () => new Date() });
 * await pool.refill(); // fill once now
 * pool.start();        // and keep it full in the background
 * ```
 */
export class TokenPool {
  private timer: NodeJS.Timeout | undefined;
  private refilling: Promise<RefillReport> | undefined;
  private stopped = false;

  constructor(private readonly deps: TokenPoolDeps) {}

  /** Starts the background refill loop. */
  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the loop and waits for a running round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.refilling;
  }

  /** Marks passes too close to expiry as EXPIRED. Returns how many. */
  async expireStale(): Promise<number> {
    const { storage, options, clock } = this.deps;
    const expired = await storage.passes.expireUnusable(new Date(clock().getTime() + options.tokenExpiryMarginMs));
    if (expired > 0) this.deps.logger.log('privacy passes expired unused', { count: expired });
    return expired;
  }

  /** Usable passes of this kind right now. */
  async depth(claimType: string, environment: RelayEnvironment = this.deps.options.environment): Promise<number> {
    const { storage, options, clock } = this.deps;
    return storage.passes.countAvailable(claimType, environment, new Date(clock().getTime() + options.tokenExpiryMarginMs));
  }

  /**
   * One refill round for every allowed claim type: expire stale passes, then
   * issue the deficit. Concurrent calls share one round.
   */
  refill(options: { spread?: boolean } = {}): Promise<RefillReport> {
    this.refilling ??= this.runRefill(options.spread ?? false).finally(() => {
      this.refilling = undefined;
    });
    return this.refilling;
  }

  private async runRefill(spread: boolean): Promise<RefillReport> {
    const { options } = this.deps;
    const expired = await this.expireStale();
    let issued = 0;
    let failed = 0;
    for (const claimType of options.allowedClaimTypes) {
      // The depth is read again before every issuance, not once per round: instances sharing a
      // database that refill at the same time then see each other's passes, so together they overfill
      // the pool by at most one pass per extra instance instead of by a whole round each.
      // Bounded per round, in case redemptions drain the pool as fast as it fills.
      for (let round = 0; round < options.pool.size && !this.stopped && (await this.depth(claimType)) < options.pool.size; round += 1) {
        if (spread) await sleep(this.random() * options.pool.issueSpreadMs);
        if (this.stopped || (await this.depth(claimType)) >= options.pool.size) break;
        try {
          // A random pause between the anonymous challenge and the identified signing call keeps the two unpaired.
          await this.deps.passes.issue({
            claimType,
            environment: options.environment,
            signingDelayMs: Math.floor(this.random() * options.issuanceJitterMs),
          });
          issued += 1;
        } catch (error) {
          failed += 1;
          this.deps.logger.warn('pool issuance failed', { claimType, ...describeError(error) });
          break; // Persona is unhappy: try again next round rather than hammering it.
        }
      }
    }
    return { issued, expired, failed };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refill({ spread: true }).finally(() => {
        // Next round at a random point in [0.5, 1.5) × the interval.
        this.schedule(this.deps.options.pool.refillIntervalMs * (0.5 + this.random()));
      });
    }, delayMs);
    this.timer.unref();
  }

  private random(): number {
    return (this.deps.random ?? Math.random)();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
