import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../src/core/services/semaphore.js';

describe('Semaphore', () => {
  it('never runs more than its capacity at once, and runs everything', async () => {
    const limit = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((resolve) => setImmediate(resolve));
          active -= 1;
          return i;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('frees its slot when a job fails', async () => {
    const limit = new Semaphore(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new Semaphore(0)).toThrow(TypeError);
  });
});
