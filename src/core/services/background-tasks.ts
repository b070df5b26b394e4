import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';

/**
 * Runs work off the request path and keeps track of it, so that `drain()`
 * (shutdown, tests) can wait for everything started and failures are logged
 * instead of becoming unhandled rejections.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly logger: RelayLogger) {}

  /** Starts `work` after `delayMs` (0 = next tick). Returns its promise, which never rejects. */
  run(name: string, work: () => Promise<unknown>, delayMs = 0): Promise<void> {
    if (this.closed) return Promise.resolve();
    const task = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        work().then(
          () => resolve(),
          (error: unknown) => {
            this.logger.warn(`background task failed: ${name}`, describeError(error));
            resolve();
          },
        );
      }, delayMs);
      timer.unref?.();
    });
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
    return task;
  }

  /** Resolves when every task started so far (and any they start) has settled. */
  async drain(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all([...this.running]);
    }
  }

  /** Refuses new tasks and waits for the running ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }
}
