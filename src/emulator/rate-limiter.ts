/**
 * Privacy-passes rate limit: a fixed 60-second window per environment, opened by its first
 * counted request. Every authenticated request counts, replays included, because limiting runs before idempotency.
 */
import type { Environment } from './options.js';

const WINDOW_MS = 60_000;

/** Whether a request may proceed, and the `RateLimit-*` headers it carries either way. */
export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  private readonly windows = new Map<Environment, { openedAt: number; count: number }>();

  /** @param limit requests per window; `0` turns limiting (and its headers) off. */
  constructor(private readonly limit: number) {}

  /** Counts one request of `environment` at `now`. */
  hit(environment: Environment, now: number): RateDecision {
    if (this.limit === 0) return { allowed: true, headers: {} };
    let window = this.windows.get(environment);
    if (!window || now >= window.openedAt + WINDOW_MS) {
      window = { openedAt: now, count: 0 };
      this.windows.set(environment, window);
    }
    window.count++;
    const resetSeconds = Math.max(1, Math.ceil((window.openedAt + WINDOW_MS - now) / 1000));
    return {
      allowed: window.count <= this.limit,
      headers: {
        'RateLimit-Limit': String(this.limit),
        'RateLimit-Remaining': String(Math.max(0, this.limit - window.count)),
        'RateLimit-Reset': String(resetSeconds),
      },
    };
  }

  clear(): void {
    this.windows.clear();
  }
}
