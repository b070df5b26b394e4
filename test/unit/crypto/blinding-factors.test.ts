import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlindingFactorSupply, batchModInverse } from '../../../src/core/crypto/blind-rsa/blinding-factors.js';
import { MacrotaskQueue } from '../../../src/core/crypto/blind-rsa/macrotask-queue.js';
import { secureRandomSource } from '../../../src/core/crypto/blind-rsa/randomness.js';
import { NodeCryptoBlindRsaEngine, parseRsaPublicKeySpki } from '../../../src/core/crypto/index.js';
import { signBlinded, testRsaKey } from './helpers/rsa-fixtures.js';

describe('batchModInverse', () => {
  it('inverts every value with one inversion', async () => {
    const key = await testRsaKey(2048);
    const { modulus } = parseRsaPublicKeySpki(key.spki);
    const values = Array.from({ length: 33 }, () => BigInt(`0x${randomBytes(256).toString('hex')}`) % modulus);
    const inverses = batchModInverse(values, modulus)!;
    expect(inverses).toHaveLength(values.length);
    values.forEach((value, i) => expect((value * inverses[i]!) % modulus).toBe(1n));
  });

  it('handles a single value and an empty list', () => {
    expect(batchModInverse([3n], 7n)).toEqual([5n]);
    expect(batchModInverse([], 7n)).toEqual([]);
  });

  it('reports a value sharing a factor with the modulus', () => {
    expect(batchModInverse([2n, 3n, 5n], 15n)).toBeUndefined();
  });
});

describe('BlindingFactorSupply', () => {
  it('hands out distinct factors with correct inverses across batch refills', async () => {
    const key = await testRsaKey(2048);
    const info = parseRsaPublicKeySpki(key.spki);
    const supply = new BlindingFactorSupply(info, secureRandomSource, 4);
    const seen = new Set<bigint>();
    for (let i = 0; i < 10; i += 1) {
      const factor = supply.take()!;
      expect((factor.value * factor.inverse) % info.modulus).toBe(1n);
      expect(seen.has(factor.value)).toBe(false);
      seen.add(factor.value);
    }
  });
});

describe('NodeCryptoBlindRsaEngine with production randomness', () => {
  it('signs and verifies across more than one batch of blinding factors', async () => {
    const key = await testRsaKey(2048);
    const engine = new NodeCryptoBlindRsaEngine();
    const runs = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const message = randomBytes(98);
        const { blindedMessage, state } = await engine.blind(key.spki, message);
        return { blindedMessage, signature: await engine.finalize(state, signBlinded(key.privateKey, blindedMessage)) };
      }),
    );
    // finalize verifies every signature; blinded messages never repeat.
    expect(new Set(runs.map((run) => Buffer.from(run.blindedMessage).toString('hex'))).size).toBe(40);
    await engine.close();
  });
});

describe('MacrotaskQueue', () => {
  it('with a zero slice runs one job per event-loop turn, in order, so I/O and timers run between jobs', async () => {
    const queue = new MacrotaskQueue({ sliceMs: 0 });
    const events: string[] = [];
    const jobs = [1, 2, 3].map((n) => queue.run(() => events.push(`job ${n}`)));
    // An immediate queued after the jobs lands between job 1 and job 2: each job has its own turn.
    setImmediate(() => events.push('other work'));
    await Promise.all(jobs);
    expect(events).toEqual(['job 1', 'other work', 'job 2', 'job 3']);
  });

  it('runs jobs in one turn until the slice is used up, then lets other work run', async () => {
    let clock = 0;
    const queue = new MacrotaskQueue({ sliceMs: 1, now: () => clock });
    const events: string[] = [];
    const jobs = [1, 2, 3, 4].map((n) =>
      queue.run(() => {
        clock += 0.4; // each job takes 0.4 ms: the third one ends the 1 ms slice
        events.push(`job ${n}`);
      }),
    );
    setImmediate(() => events.push('other work'));
    await Promise.all(jobs);
    expect(events).toEqual(['job 1', 'job 2', 'job 3', 'other work', 'job 4']);
  });

  it('passes errors to the caller and keeps going', async () => {
    const queue = new MacrotaskQueue();
    const failing = queue.run(() => {
      throw new TypeError('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    await expect(queue.run(() => 42)).resolves.toBe(42);
  });
});
