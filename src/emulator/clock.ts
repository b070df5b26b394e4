/**
 * Emulator time: real time plus an offset that only grows (`POST /_emulator/clock`). Every time-dependent rule
 * (challenge expiry, relay expiry, idempotency retention, rate-limit windows, JWT times, log timestamps) reads it,
 * so a test can jump past a deadline without waiting.
 */
export class EmulatorClock {
  private offsetMs = 0;

  /** Current emulator time in epoch milliseconds. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves emulator time forward; `seconds` must be finite and non-negative (checked by the control API). */
  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }

  /** Back to real time (reset). */
  reset(): void {
    this.offsetMs = 0;
  }
}
