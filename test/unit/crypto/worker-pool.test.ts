import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import { WorkerPool } from '../../../src/core/crypto/worker-pool.js';

/**
 * Echoes `{ threadId, value }`; `{ crash: code }` exits the thread mid-job,
 * `{ throw: true }` throws an uncaught exception, `{ wait: ms }` replies late.
 */
const TEST_WORKER = `
const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', (job) => {
  if (job.crash !== undefined) process.exit(job.crash);
  if (job.throw) throw new Error('boom');
  setTimeout(() => parentPort.postMessage({ threadId, value: job.value }), job.wait ?? 0);
});`;

const pools: WorkerPool[] = [];
const spawned: Worker[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
  spawned.length = 0;
});

function testPool(size: number): WorkerPool {
  const pool = new WorkerPool({
    name: 'test pool',
    size,
    spawn: () => {
      const worker = new Worker(TEST_WORKER, { eval: true });
      spawned.push(worker);
      return worker;
    },
  });
  pools.push(pool);
  return pool;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

describe('WorkerPool', () => {
  it('runs jobs on at most `size` workers, off the main thread, queueing the rest', async () => {
    const pool = testPool(2);
    const replies = (await Promise.all(Array.from({ length: 8 }, (_, value) => pool.run({ value, wait: 5 })))) as Array<{
      threadId: number;
      value: number;
    }>;
    expect(replies.map((reply) => reply.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const threads = new Set(replies.map((reply) => reply.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(0)).toBe(false); // 0 is the main thread
    expect(pool.stats).toEqual({ workers: 2, jobsCompleted: 8, crashes: 0 });
  });

  it('fails the job of a worker that exits with ABORTED, then replaces the worker', async () => {
    const pool = testPool(1);
    const before = (await pool.run({ value: 'a' })) as { threadId: number };
    const error = await rejection(pool.run({ crash: 7 }));
    expect(isRelayError(error, RelayErrorCode.ABORTED), String(error)).toBe(true);
    expect((error as { context: object }).context).toEqual({ pool: 'test pool', exitCode: 7 });
    const after = (await pool.run({ value: 'b' })) as { threadId: number; value: string };
    expect(after.value).toBe('b');
    expect(after.threadId).not.toBe(before.threadId);
    expect(pool.stats).toMatchObject({ workers: 1, crashes: 1 });
  });

  it('fails the job of a worker that throws, keeping the error as the cause; queued jobs still run', async () => {
    const pool = testPool(1);
    const crashed = pool.run({ throw: true });
    const queued = pool.run({ value: 'next' });
    const error = await rejection(crashed);
    expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
    expect(((error as Error).cause as Error).message).toBe('boom');
    expect(await queued).toMatchObject({ value: 'next' });
  });

  it('keeps workers unref’d while idle and ref’d while busy', async () => {
    const pool = testPool(1);
    await pool.run({ value: 1 });
    const [worker] = spawned;
    const calls: string[] = [];
    worker!.ref = () => void calls.push('ref');
    worker!.unref = () => void calls.push('unref');
    await pool.run({ value: 2 });
    expect(calls).toEqual(['ref', 'unref']);
  });

  it('close() fails running and queued jobs with ABORTED and refuses new ones', async () => {
    const pool = testPool(1);
    const running = rejection(pool.run({ value: 1, wait: 10_000 }));
    const queued = rejection(pool.run({ value: 2 }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await pool.close();
    for (const error of await Promise.all([running, queued])) expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
    expect(pool.stats).toMatchObject({ workers: 0, crashes: 0 });
    await expect(pool.run({ value: 3 })).rejects.toThrow(TypeError);
    await pool.close();
  });

  it('rejects a job whose message cannot be cloned without losing the worker', async () => {
    const pool = testPool(1);
    await expect(pool.run({ value: () => 1 })).rejects.toThrow();
    expect(await pool.run({ value: 'ok' })).toMatchObject({ value: 'ok' });
  });

  it('rejects the job when a worker cannot be started, and tries again for the next job', async () => {
    let attempts = 0;
    const pool = new WorkerPool({
      name: 'flaky pool',
      size: 1,
      spawn: () => {
        if (++attempts === 1) throw new Error('no threads left');
        return new Worker(TEST_WORKER, { eval: true });
      },
    });
    pools.push(pool);
    await expect(pool.run({ value: 1 })).rejects.toThrow('no threads left');
    expect(await pool.run({ value: 2 })).toMatchObject({ value: 2 });
  });

  it('validates its size', () => {
    for (const size of [0, -1, 1.5, Number.NaN]) {
      expect(() => new WorkerPool({ name: 'x', size, spawn: () => new Worker('', { eval: true }) })).toThrow(TypeError);
    }
  });
});
