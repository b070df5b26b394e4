/**
 * The idempotency layer: one entry per scope (endpoint, [API key,] Idempotency-Key) holding the
 * request fingerprint and, once answered, the stored status and body. What gets stored is the caller's decision
 * (generate-claim: 2xx only; privacy-passes: everything).
 */
import type { EmulatorResponse } from './responses.js';

/** Entries are pruned once this old (emulator time); the key then runs as new. */
const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/** An entry; its identity is the ticket of the request that owns it. */
export interface IdempotencyEntry {
  readonly fingerprint: string;
  readonly createdAt: number;
  stored?: { status: number; body: string };
}

/** What the layer says about an arriving request. */
export type IdempotencyDecision =
  | { kind: 'proceed'; entry: IdempotencyEntry }
  | { kind: 'in-flight' }
  | { kind: 'fingerprint-mismatch' }
  | { kind: 'replay'; status: number; body: string };

export class IdempotencyStore {
  private readonly entries = new Map<string, IdempotencyEntry>();

  /**
   * Looks the scope up. A new (or pruned) scope becomes in flight and the caller owns it until it calls
   * {@link store} or {@link release}.
   */
  begin(scope: string, fingerprint: string, now: number): IdempotencyDecision {
    this.prune(now);
    const existing = this.entries.get(scope);
    if (existing) {
      if (!existing.stored) return { kind: 'in-flight' };
      if (existing.fingerprint !== fingerprint) return { kind: 'fingerprint-mismatch' };
      return { kind: 'replay', ...existing.stored };
    }
    const entry: IdempotencyEntry = { fingerprint, createdAt: now };
    this.entries.set(scope, entry);
    return { kind: 'proceed', entry };
  }

  /** Keeps the response for replays; ignored if the entry was cleared meanwhile (reset). */
  store(scope: string, entry: IdempotencyEntry, response: EmulatorResponse): void {
    if (this.entries.get(scope) === entry) entry.stored = { status: response.status, body: response.body };
  }

  /** Forgets an in-flight entry whose response is not kept, so a retry runs as new. */
  release(scope: string, entry: IdempotencyEntry): void {
    if (this.entries.get(scope) === entry) this.entries.delete(scope);
  }

  /** Answered entries still retained at `now`. */
  retainedCount(now: number): number {
    this.prune(now);
    let count = 0;
    for (const entry of this.entries.values()) if (entry.stored) count++;
    return count;
  }

  clear(): void {
    this.entries.clear();
  }

  private prune(now: number): void {
    for (const [scope, entry] of this.entries) {
      if (entry.stored && now >= entry.createdAt + IDEMPOTENCY_RETENTION_MS) this.entries.delete(scope);
    }
  }
}
