/**
 * The reference engine keeps the event loop free by doing the library's work
 * in worker threads. Checked structurally (no timing assertions): every blind
 * and finalize is a worker job, and the library's WebCrypto calls never happen
 * on the main thread. The event-loop delay itself is measured by the benchmark.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlindRsaTsEngine } from '../../../src/core/crypto/index.js';
import { signBlinded, testRsaKey, type TestRsaKey } from './helpers/rsa-fixtures.js';

describe('BlindRsaTsEngine worker threads', () => {
  let rsa2048: TestRsaKey;
  const engines: BlindRsaTsEngine[] = [];
  beforeAll(async () => {
    rsa2048 = await testRsaKey(2048);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => Promise.all(engines.map((engine) => engine.close())));

  function newEngine(workers?: number): BlindRsaTsEngine {
    const engine = new BlindRsaTsEngine(workers === undefined ? {} : { workers });
    engines.push(engine);
    return engine;
  }

  it('runs 20 concurrent blind+finalize operations as 40 worker jobs, none of the library work on the main thread', async () => {
    const engine = newEngine(2);
    // blindrsa-ts exports the key as a JWK in every blind and finalize and verifies with WebCrypto in finalize.
    const exportKey = vi.spyOn(globalThis.crypto.subtle, 'exportKey');
    const subtleVerify = vi.spyOn(globalThis.crypto.subtle, 'verify');

    const signatures = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const { blindedMessage, state } = await engine.blind(rsa2048.spki, new Uint8Array(randomBytes(98)));
        return engine.finalize(state, signBlinded(rsa2048.privateKey, blindedMessage));
      }),
    );

    expect(signatures.every((signature) => signature.length === 256)).toBe(true);
    expect(engine.workerStats).toEqual({ workers: 2, jobsCompleted: 40, crashes: 0 });
    expect(exportKey).not.toHaveBeenCalled();
    expect(subtleVerify).not.toHaveBeenCalled();
  });

  it('defaults to min(2, availableParallelism() - 1) workers (at least 1), started on demand', async () => {
    const engine = newEngine();
    expect(engine.workerStats.workers).toBe(0);
    await Promise.all(Array.from({ length: 6 }, () => engine.blind(rsa2048.spki, new Uint8Array(98))));
    // One core stays free for the main thread, whose event loop the workers exist to protect.
    expect(engine.workerStats.workers).toBe(Math.max(1, Math.min(2, availableParallelism() - 1)));
  });

  it('honours a configured pool size', async () => {
    const engine = newEngine(3);
    await Promise.all(Array.from({ length: 6 }, () => engine.blind(rsa2048.spki, new Uint8Array(98))));
    expect(engine.workerStats.workers).toBe(3);
    expect(() => new BlindRsaTsEngine({ workers: 0 })).toThrow(TypeError);
  });
});
