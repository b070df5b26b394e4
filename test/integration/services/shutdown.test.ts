/**
 * Shutdown against the emulator: `close()` aborts every background wait (a pool round's spread, the
 * signing jitter of pool and at-creation issuance, the pause between refill rounds) instead of
 * sitting it out, and nothing is signed after it. The configured waits last minutes to an hour;
 * `close()` must settle long before a deadline that is far shorter than any of them, yet far longer
 * than a loaded machine needs for a prompt close.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../../src/core/config/index.js';
import { resolveRelayOptions } from '../../../src/core/config/index.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { RelayServices } from '../../../src/core/services/relay-services.js';
import { createRelayServices } from '../../../src/core/services/relay-services.js';
import { createMemoryStorage } from '../../../src/core/storage/index.js';
import { CHALLENGE_PATH, CLAIM_TYPE, isProbe, PRIVACY_PASSES_PATH, TestEmulator } from '../../support/emulator.js';
import { eventually, testOptions } from '../../support/relay.js';

const MINUTE_MS = 60_000;
/** Far below every wait configured here (5 minutes and up), far above what a prompt close needs. */
const CLOSE_DEADLINE_MS = 10_000;

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await TestEmulator.start();
});
afterAll(async () => {
  await emulator?.close();
});

/** A random source stuck at the middle of its range, counting its draws. */
function midpointRandom(): { random: () => number; draws(): number } {
  let draws = 0;
  return {
    random: () => {
      draws += 1;
      return 0.5;
    },
    draws: () => draws,
  };
}

describe('close()', () => {
  /** The services of the running test, until it closes them. */
  let open: RelayServices | undefined;

  function startServices(options: RelayOptions, random = midpointRandom().random): RelayServices {
    open = createRelayServices({
      options: resolveRelayOptions(testOptions(emulator.url, { encryption: 'none', ...options })),
      storage: createMemoryStorage(),
      logger: silentLogger,
      random,
    });
    return open;
  }

  /** Whether `close()` settled before {@link CLOSE_DEADLINE_MS}. */
  async function closeRace(services: RelayServices): Promise<'closed' | 'deadline passed'> {
    open = undefined;
    const deadline = new AbortController();
    try {
      return await Promise.race([
        services.close().then(() => 'closed' as const),
        sleep(CLOSE_DEADLINE_MS, 'deadline passed' as const, { signal: deadline.signal }),
      ]);
    } finally {
      deadline.abort();
    }
  }

  const requestsTo = async (path: string) => (await emulator.requests()).filter((entry) => entry.path === path);

  beforeEach(async () => {
    await emulator.reset();
  });
  afterEach(() => {
    // Services a failing test did not close: release them without holding up the next test.
    void open?.close().catch(() => undefined);
    open = undefined;
  });

  it("does not sit out a pool round's spread before its first issuance", async () => {
    const draws = midpointRandom();
    const relay = startServices({ issuance: 'pool', pool: { size: 2, issueSpreadMs: 60 * MINUTE_MS } }, draws.random);
    await relay.start();
    // The first draw sizes the spread wait the round then sleeps (30 minutes at the midpoint).
    await eventually(async () => draws.draws() > 0, 5_000, 'the spread draw');

    expect(await closeRace(relay)).toBe('closed');
    expect(await requestsTo(CHALLENGE_PATH)).toEqual([]);
  });

  it('does not sit out the signing jitter of a pool issuance, and signs nothing after it', async () => {
    const relay = startServices({ issuance: 'pool', pool: { size: 2 }, issuanceJitterMs: 10 * MINUTE_MS });
    await relay.start();
    // The challenge is fetched; the identified signing call waits 5 minutes behind it.
    await eventually(async () => (await requestsTo(CHALLENGE_PATH)).length > 0, 5_000, 'the challenge request');

    expect(await closeRace(relay)).toBe('closed');
    expect(await requestsTo(PRIVACY_PASSES_PATH)).toEqual([]);
  });

  it('does not sit out the pause between refill rounds', async () => {
    const relay = startServices({ issuance: 'pool', pool: { size: 1, refillIntervalMs: 24 * 60 * MINUTE_MS } });
    await relay.start();
    await eventually(async () => (await relay.pool.depth(CLAIM_TYPE)) === 1, 10_000, 'the first round');

    expect(await closeRace(relay)).toBe('closed');
  });

  it('does not sit out the signing jitter of an at-creation issuance, and signs nothing after it', async () => {
    const relay = startServices({ issuance: 'at-creation', issuanceJitterMs: 10 * MINUTE_MS });
    await relay.start();
    await relay.sessions.create('alice');
    // The relay's 401 gave the challenge; the signing call waits 5 minutes behind it.
    await eventually(async () => (await emulator.requests()).some(isProbe), 5_000, 'the challenge probe');

    expect(await closeRace(relay)).toBe('closed');
    expect(await requestsTo(PRIVACY_PASSES_PATH)).toEqual([]);
  });
});
