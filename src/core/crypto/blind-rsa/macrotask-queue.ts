/**
 * Runs synchronous jobs on later event-loop turns, a short slice of them per turn.
 *
 * A native blind or finalize takes a fraction of a millisecond, but a hundred
 * of them started together would otherwise run back to back and hold the
 * event loop for tens of milliseconds. Here the jobs queued so far run in
 * `setImmediate` turns of at most about `sliceMs` each (an immediate queued
 * from an immediate runs in the next loop iteration), so timers and I/O are
 * served between slices. A slice rather than one job per turn: a turn costs
 * about as much as a job, so one job per turn nearly doubled their cost.
 */
import { performance } from 'node:perf_hooks';

/** Options for {@link MacrotaskQueue}. */
export interface MacrotaskQueueOptions {
  /** Jobs keep starting within one turn until this many ms have passed since the turn began (0: one job per turn). Default 1. */
  readonly sliceMs?: number;
  /** Monotonic milliseconds (tests). Default `performance.now`. */
  readonly now?: () => number;
}

export class MacrotaskQueue {
  readonly #jobs: Array<() => void> = [];
  readonly #sliceMs: number;
  readonly #now: () => number;
  #scheduled = false;

  constructor(options: MacrotaskQueueOptions = {}) {
    this.#sliceMs = options.sliceMs ?? 1;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Runs `work` on a later event-loop turn, after the jobs queued before it. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#jobs.push(() => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#jobs.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const started = this.#now();
      do this.#jobs.shift()!();
      while (this.#jobs.length > 0 && this.#now() - started < this.#sliceMs);
      this.#schedule();
    });
  }
}
