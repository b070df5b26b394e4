/**
 * KeyReserve over the memory storage, with a scripted key pair generator
 * (the default one, in worker threads, is tested in test/unit/crypto).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EncryptionKeyPair, KeyPairGenerator } from '../../../src/core/crypto/index.js';
import { SecretBox } from '../../../src/core/crypto/index.js';
import { isRelayError, RelayError, RelayErrorCode } from '../../../src/core/errors.js';
import type { RelayLogger } from '../../../src/core/logger.js';
import { KeyReserve, type KeyReserveDeps } from '../../../src/core/services/key-reserve.js';
import { sealedField } from '../../../src/core/services/sealing.js';
import { createMemoryStorage, type KeyReserveStore } from '../../../src/core/storage/index.js';

const BITS = 3072;

/** A generator whose generations the test finishes (`finish`, `fail`) or that answer at once (`instant`). */
function scriptedGenerator(options: { instant?: boolean; concurrency?: number } = {}) {
  let made = 0;
  const pending: Array<{ resolve: (pair: EncryptionKeyPair) => void; reject: (error: Error) => void }> = [];
  const next = (): EncryptionKeyPair => {
    made += 1;
    return { publicKeyPem: `public-${made}`, privateKeyPem: `private-${made}` };
  };
  let closed = false;
  const generator: KeyPairGenerator = {
    concurrency: options.concurrency ?? 1,
    generate: () =>
      options.instant ? Promise.resolve(next()) : new Promise((resolve, reject) => pending.push({ resolve, reject })),
    // Like the worker generator: closing drops the generations in flight.
    close: async () => {
      closed = true;
      for (const generation of pending.splice(0)) generation.reject(new Error('generator closed'));
    },
  };
  return {
    generator,
    get calls() {
      return made + pending.length;
    },
    get closed() {
      return closed;
    },
    pending: () => pending.length,
    finish: () => pending.shift()!.resolve(next()),
    fail: (error: Error) => pending.shift()!.reject(error),
  };
}

function recordingLogger() {
  const warnings: Array<{ message: string; context?: Record<string, unknown> }> = [];
  const logger: RelayLogger = {
    debug: () => undefined,
    log: () => undefined,
    error: () => undefined,
    warn: (message, context) => void warnings.push({ message, ...(context ? { context } : {}) }),
  };
  return { logger, warnings };
}

const secretBox = SecretBox.fromBase64Keys({ k1: randomBytes(32).toString('base64') }, 'k1');
const shutdowns: AbortController[] = [];
const reserves: KeyReserve[] = [];

afterEach(async () => {
  for (const shutdown of shutdowns.splice(0)) shutdown.abort();
  await Promise.all(reserves.splice(0).map((reserve) => reserve.close()));
});

function newReserve(overrides: Partial<KeyReserveDeps> & { generator: KeyPairGenerator }) {
  const shutdown = new AbortController();
  shutdowns.push(shutdown);
  const store = overrides.store ?? createMemoryStorage().keyReserve;
  const reserve = new KeyReserve({
    store,
    secretBox,
    logger: recordingLogger().logger,
    clock: () => new Date(),
    shutdown: shutdown.signal,
    target: 0,
    modulusBits: BITS,
    waitMs: 5_000,
    pollIntervalMs: 10,
    retryDelayMs: 10,
    ...overrides,
  });
  reserves.push(reserve);
  return { reserve, store, shutdown };
}

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const until = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function rejection(promise: Promise<unknown>): Promise<RelayError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RelayError);
  return error as RelayError;
}

describe('KeyReserve', () => {
  it('refills toward the target in storage, and replaces every key pair taken', async () => {
    const script = scriptedGenerator({ instant: true });
    const { reserve, store } = newReserve({ generator: script.generator, target: 3 });
    reserve.replenish();
    await eventually(async () => (await store.count(BITS)) === 3, 'a full reserve');

    // One of the three generated pairs, whole (which one depends on creation times within a millisecond; the
    // storage contract tests the oldest-first order).
    const taken = await reserve.take();
    const n = /^public-([123])$/.exec(taken.publicKeyPem)?.[1];
    expect(taken).toEqual({ publicKeyPem: `public-${n}`, privateKeyPem: `private-${n}` });
    await eventually(async () => (await store.count(BITS)) === 3, 'the taken key pair replaced');
    expect(script.calls).toBe(4);
  });

  it('keeps private keys sealed in storage, bound to their reserve record', async () => {
    const { reserve, store } = newReserve({ generator: scriptedGenerator({ instant: true }).generator, target: 1 });
    reserve.replenish();
    await eventually(async () => (await store.count(BITS)) === 1, 'a key pair');
    const record = (await store.take(BITS))!;
    expect(record.privateKeySealed).not.toContain('private-1');
    expect(secretBox.openText(record.privateKeySealed, sealedField.reservedPrivateKey(record.id))).toBe('private-1');

    // Moved to another record, the sealed key no longer opens.
    await store.add([{ ...record, id: '5f0c8a52-6a8e-4c44-9f6e-1a2b3c4d5e6f' }]);
    await expect(reserve.take()).rejects.toThrow();
  });

  it('counts key pairs other instances stored, and generates none while the reserve is full', async () => {
    const store = createMemoryStorage().keyReserve;
    const first = newReserve({ generator: scriptedGenerator({ instant: true }).generator, target: 2, store });
    first.reserve.replenish();
    await eventually(async () => (await store.count(BITS)) === 2, 'the first instance’s reserve');

    const second = scriptedGenerator();
    newReserve({ generator: second.generator, target: 2, store }).reserve.replenish();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(second.calls).toBe(0);
  });

  it('hands each key pair to one caller only', async () => {
    const { reserve } = newReserve({ generator: scriptedGenerator({ instant: true, concurrency: 2 }).generator });
    const taken = await Promise.all(Array.from({ length: 6 }, () => reserve.take()));
    expect(new Set(taken.map((pair) => pair.publicKeyPem)).size).toBe(6);
  });

  it('on an empty reserve, wakes a waiting take as soon as its key pair is stored', async () => {
    const script = scriptedGenerator();
    // Neither the wait nor a poll ends within the test's timeout: only the wake-up can serve the take.
    const { reserve } = newReserve({ generator: script.generator, waitMs: 60_000, pollIntervalMs: 60_000 });
    const taking = reserve.take();
    await eventually(() => script.pending() === 1, 'a generation for the waiting take');
    script.finish();
    await expect(taking).resolves.toEqual({ publicKeyPem: 'public-1', privateKeyPem: 'private-1' });
  });

  it('finds key pairs another instance adds while it waits', async () => {
    const store = createMemoryStorage().keyReserve;
    const { reserve } = newReserve({ generator: scriptedGenerator().generator, store });
    const taking = reserve.take();
    const other = newReserve({ generator: scriptedGenerator({ instant: true }).generator, target: 1, store });
    other.reserve.replenish();
    await expect(taking).resolves.toEqual({ publicKeyPem: 'public-1', privateKeyPem: 'private-1' });
  });

  it('answers RELAY_BUSY after waitMs, with a retry estimate from the measured generation time', async () => {
    let clockMs = 0;
    const script = scriptedGenerator();
    const { logger, warnings } = recordingLogger();
    const { reserve } = newReserve({ generator: script.generator, logger, waitMs: 40, now: () => clockMs + performance.now() });

    // Not measured yet: the wait itself is the estimate, at least a second.
    const first = await rejection(reserve.take());
    expect(first.code).toBe(RelayErrorCode.RELAY_BUSY);
    expect(first.context).toEqual({ retryAfterSeconds: 1 });
    expect(warnings.map((warning) => warning.message)).toEqual([expect.stringContaining('raise keyReserve')]);

    // That generation took 4.2 s.
    clockMs += 4_200;
    script.finish();
    await expect(reserve.take()).resolves.toMatchObject({ publicKeyPem: 'public-1' });
    const settled = await Promise.allSettled([reserve.take(), reserve.take()]);
    const refusals = settled.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as RelayError) : undefined));
    expect(refusals.map((refusal) => refusal?.code)).toEqual([RelayErrorCode.RELAY_BUSY, RelayErrorCode.RELAY_BUSY]);
    // Two takes wait, one generation at a time: the one giving up first is told the second key pair's time (about
    // 8.4 s), the other, then waiting alone, the next one's (about 4.2 s). Which gives up first depends on how the
    // two deadlines fall within one event-loop turn.
    const retries = refusals.map((refusal) => refusal?.context.retryAfterSeconds as number);
    expect(retries.sort((a, b) => a - b)).toEqual([5, 9]);
  });

  it('fails waiting takes with ABORTED at shutdown, at once, and close() stops the generator', async () => {
    const script = scriptedGenerator();
    const { reserve, shutdown } = newReserve({ generator: script.generator, waitMs: 60_000, pollIntervalMs: 60_000 });
    const taking = reserve.take();
    await eventually(() => script.pending() === 1, 'a generation');
    shutdown.abort();
    const error = await rejection(taking);
    expect(error.code).toBe(RelayErrorCode.ABORTED);
    expect(error.message).toMatch(/closed/);
    await reserve.close();
    expect(script.closed).toBe(true);
    expect(isRelayError(await rejection(reserve.take()), RelayErrorCode.ABORTED)).toBe(true);
  });

  it("gives up waiting when the caller's signal aborts", async () => {
    const { reserve } = newReserve({ generator: scriptedGenerator().generator, waitMs: 60_000, pollIntervalMs: 60_000 });
    const request = new AbortController();
    const taking = reserve.take(request.signal);
    request.abort();
    const error = await rejection(taking);
    expect(error.code).toBe(RelayErrorCode.ABORTED);
    expect(error.message).toMatch(/aborted/);
  });

  it('logs a failed generation once, tries again later, and serves the waiting take', async () => {
    const script = scriptedGenerator();
    const { logger, warnings } = recordingLogger();
    const { reserve } = newReserve({ generator: script.generator, logger });
    const taking = reserve.take();
    await eventually(() => script.pending() === 1, 'the first generation');
    script.fail(new Error('worker crashed'));
    await eventually(() => script.pending() === 1, 'the retried generation');
    script.finish();

    await expect(taking).resolves.toEqual({ publicKeyPem: 'public-1', privateKeyPem: 'private-1' });
    expect(warnings).toEqual([
      {
        message: 'could not refill the per-relay key reserve; trying again later',
        context: expect.objectContaining({ retryInMs: 10, message: 'worker crashed' }),
      },
    ]);
  });

  it('survives a storage failure while refilling', async () => {
    const store = createMemoryStorage().keyReserve;
    let failAdds = 1;
    const flaky: KeyReserveStore = {
      ...store,
      add: async (records) => {
        if (failAdds-- > 0) throw new RelayError(RelayErrorCode.STORAGE, 'database unavailable');
        return store.add(records);
      },
    };
    const { logger, warnings } = recordingLogger();
    const { reserve } = newReserve({ generator: scriptedGenerator({ instant: true }).generator, logger, store: flaky });
    await expect(reserve.take()).resolves.toEqual({ publicKeyPem: 'public-2', privateKeyPem: 'private-2' });
    expect(warnings).toHaveLength(1);
  });
});
