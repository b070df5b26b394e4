/**
 * Everything `POST /_emulator/reset` clears: relays, spent nonces, idempotency records, counters, the request log,
 * pending faults and rate-limit windows. (The clock offset lives in `EmulatorClock`; keys and options are kept.)
 */
import { FaultQueues } from './faults.js';
import { IdempotencyStore } from './idempotency.js';
import { RateLimiter } from './rate-limiter.js';
import { RelayRegistry } from './relays.js';
import { RequestLog } from './request-log.js';

/** `GET /_emulator/state`: counters under the names the control API documents. Replays are never counted. */
export interface StateCounters {
  relays: number;
  relaysCompleted: number;
  passesIssued: number;
  passesRedeemed: number;
  claimsGenerated: number;
  idempotencyKeys: number;
  doubleSpendRejected: number;
}

export class EmulatorState {
  readonly relays = new RelayRegistry();
  readonly idempotency = new IdempotencyStore();
  readonly faults = new FaultQueues();
  readonly requestLog = new RequestLog();
  readonly rateLimiter: RateLimiter;
  /** Spent passes as `"<key_id>:<token_nonce>"` (key ids are hex, so the colon cannot be ambiguous). */
  private readonly spentNonces = new Set<string>();
  private passesIssued = 0;
  private claimsGenerated = 0;
  private doubleSpendRejected = 0;

  constructor(rateLimit: number) {
    this.rateLimiter = new RateLimiter(rateLimit);
  }

  isSpent(keyId: string, tokenNonce: string): boolean {
    return this.spentNonces.has(`${keyId}:${tokenNonce}`);
  }

  markSpent(keyId: string, tokenNonce: string): void {
    this.spentNonces.add(`${keyId}:${tokenNonce}`);
  }

  countPassIssued(): void {
    this.passesIssued++;
  }

  countClaimGenerated(): void {
    this.claimsGenerated++;
  }

  countDoubleSpendRejected(): void {
    this.doubleSpendRejected++;
  }

  counters(now: number): StateCounters {
    return {
      relays: this.relays.size,
      relaysCompleted: this.relays.completedCount(),
      passesIssued: this.passesIssued,
      passesRedeemed: this.spentNonces.size,
      claimsGenerated: this.claimsGenerated,
      idempotencyKeys: this.idempotency.retainedCount(now),
      doubleSpendRejected: this.doubleSpendRejected,
    };
  }

  reset(): void {
    this.relays.clear();
    this.idempotency.clear();
    this.faults.clear();
    this.requestLog.clear();
    this.rateLimiter.clear();
    this.spentNonces.clear();
    this.passesIssued = 0;
    this.claimsGenerated = 0;
    this.doubleSpendRejected = 0;
  }
}
