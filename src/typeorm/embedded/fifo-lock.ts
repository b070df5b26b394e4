/** Gives the lock back; calling it again is a no-op. */
export type ReleaseLock = () => void;

/**
 * Hands one resource to one holder at a time, in the order they asked.
 *
 * The holder keeps it from `acquire()` until it calls the returned release,
 * however many `await`s lie in between: this is what lets one PGlite session
 * be owned by a whole transaction, from BEGIN to COMMIT or ROLLBACK.
 */
export class FifoLock {
  #held = false;
  readonly #waiting: Array<() => void> = [];

  /**
   * Resolves once the caller holds the lock. With `timeoutMs > 0`, rejects
   * if the lock is still held by others after that long (the caller then
   * holds nothing and is no longer queued).
   */
  acquire(timeoutMs = 0): Promise<ReleaseLock> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve(this.#releaserOnce());
    }
    return new Promise<ReleaseLock>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const grant = () => {
        clearTimeout(timer);
        resolve(this.#releaserOnce());
      };
      this.#waiting.push(grant);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(grant), 1);
          reject(new Error(`The embedded database stayed busy for ${timeoutMs} ms`));
        }, timeoutMs);
      }
    });
  }

  #releaserOnce(): ReleaseLock {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // Ownership passes straight to the next in line: `#held` stays true.
      if (next === undefined) this.#held = false;
      else next();
    };
  }
}
