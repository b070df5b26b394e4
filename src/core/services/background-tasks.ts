import { setImmediate as nextMacrotask } from 'node:timers/promises';
import type { RelayLogger } from '../logger.js';
import { describeError } from '../logger.js';

/**
 * Runs work off the request path and keeps track of it, so that `drain()`
 * (shutdown, tests) can wait for everything started and failures are logged
 * instead of becoming unhandled rejections.
 *
 * Every task gets the shutdown signal its owner aborts on close: once it is
 * aborted, no task starts and running ones are expected to give up their waits.
 */
export class BackgroundTasks {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly logger: RelayLogger,
    private readonly shutdown: AbortSignal,
  ) {}

  /**
   * Starts `work` on a later event-loop turn, unless shutdown has begun by then.
   * Returns its promise, which never rejects.
   */
  run(name: string, work: (shutdown: AbortSignal) => Promise<unknown>): Promise<void> {
    if (this.shutdown.aborted) return Promise.resolve();
    const task = this.settle(name, work);
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
    return task;
  }

  /** Runs `work` every `intervalMs` (each round a task of its own) until shutdown. */
  every(name: string, intervalMs: number, work: (shutdown: AbortSignal) => Promise<unknown>): void {
    if (this.shutdown.aborted) return;
    const timer = setInterval(() => void this.run(name, work), intervalMs);
    timer.unref();
    this.shutdown.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** Resolves when every task started so far (and any they start) has settled. */
  async drain(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all([...this.running]);
    }
  }

  private async settle(name: string, work: (shutdown: AbortSignal) => Promise<unknown>): Promise<void> {
    try {
      // Never inside the caller's turn: the request that started the task answers first.
      await nextMacrotask();
      if (this.shutdown.aborted) return;
      await work(this.shutdown);
    } catch (error) {
      // Shutdown cutting a task short is expected, not a failure worth a warning.
      if (this.shutdown.aborted) this.logger.debug(`background task stopped by shutdown: ${name}`, describeError(error));
      else this.logger.warn(`background task failed: ${name}`, describeError(error));
    }
  }
}
