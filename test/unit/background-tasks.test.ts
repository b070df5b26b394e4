import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RelayLogger } from '../../src/core/logger.js';
import { BackgroundTasks } from '../../src/core/services/background-tasks.js';

/** A logger keeping `level: message` lines. */
function recordingLogger(): RelayLogger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, debug: at('debug'), log: at('log'), warn: at('warn'), error: at('error') };
}

function tasksWithShutdown() {
  const logger = recordingLogger();
  const shutdown = new AbortController();
  return { tasks: new BackgroundTasks(logger, shutdown.signal), shutdown, logger };
}

describe('BackgroundTasks', () => {
  it("runs work after the caller's turn, and drain() waits for it and for the tasks it starts", async () => {
    const { tasks } = tasksWithShutdown();
    const done: string[] = [];
    void tasks.run('outer', async () => {
      void tasks.run('inner', async () => void done.push('inner'));
      done.push('outer');
    });
    expect(done).toEqual([]);
    await tasks.drain();
    expect(done).toEqual(['outer', 'inner']);
  });

  it('logs a failure as a warning and resolves instead of rejecting', async () => {
    const { tasks, logger } = tasksWithShutdown();
    await expect(tasks.run('doomed', () => Promise.reject(new Error('boom')))).resolves.toBeUndefined();
    expect(logger.lines).toEqual(['warn: background task failed: doomed']);
  });

  it('gives each task the shutdown signal, and logs a task cut short by shutdown at debug level', async () => {
    const { tasks, shutdown, logger } = tasksWithShutdown();
    let waiting!: () => void;
    const began = new Promise<void>((resolve) => (waiting = resolve));
    const task = tasks.run('long wait', (signal) => {
      waiting();
      return sleep(3_600_000, undefined, { signal });
    });
    await began;
    shutdown.abort();
    await task;
    expect(logger.lines).toEqual(['debug: background task stopped by shutdown: long wait']);
  });

  it('starts no task once shutdown has begun, including one queued but not yet begun', async () => {
    const { tasks, shutdown } = tasksWithShutdown();
    let ran = 0;
    const queued = tasks.run('queued', async () => void (ran += 1));
    shutdown.abort();
    const late = tasks.run('late', async () => void (ran += 1));
    await Promise.all([queued, late, tasks.drain()]);
    expect(ran).toBe(0);
  });

  it('repeats work every interval until shutdown', async () => {
    const { tasks, shutdown } = tasksWithShutdown();
    let rounds = 0;
    tasks.every('tick', 5, async () => void (rounds += 1));
    while (rounds < 2) await sleep(5);
    shutdown.abort();
    await tasks.drain();
    const roundsAtShutdown = rounds;
    await sleep(30);
    expect(rounds).toBe(roundsAtShutdown);
  });
});
