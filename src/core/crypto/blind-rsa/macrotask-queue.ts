/**
 * Runs synchronous jobs one per event-loop turn.
 *
 * A native blind or finalize takes a fraction of a millisecond, but a hundred
 * of them started together would otherwise run back to back and hold the
 * event loop for tens of milliseconds. Here each job gets its own
 * `setImmediate` turn (an immediate queued from an immediate runs in the
 * next loop iteration), so timers and I/O are served between any two jobs.
 */
export class MacrotaskQueue {
  readonly #jobs: Array<() => void> = [];
  #scheduled = false;

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
      this.#jobs.shift()!();
      this.#schedule();
    });
  }
}
