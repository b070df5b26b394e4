/**
 * Per-relay keys through the wired services, against the emulator, on every
 * storage backend: session creation takes its key from the reserve in
 * storage, an empty reserve answers RELAY_BUSY and gives the creation slot
 * back, and the maintenance sweep deletes the keys of finished relays.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KeyPairGenerator } from '../../../src/core/crypto/index.js';
import { RelayErrorCode } from '../../../src/core/errors.js';
import { sealedField } from '../../../src/core/services/sealing.js';
import { RELAYS_PATH, TestEmulator } from '../../support/emulator.js';
import { eventually, storageBackends, useRelayHarness } from '../../support/relay.js';

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await TestEmulator.start();
});
afterAll(async () => {
  await emulator?.close();
});

/** A generator that never finishes a key pair, until closed. */
function stalledGenerator(): KeyPairGenerator {
  const stalled: Array<(error: Error) => void> = [];
  return {
    concurrency: 1,
    generate: () => new Promise((_resolve, reject) => stalled.push(reject)),
    close: async () => {
      for (const reject of stalled.splice(0)) reject(new Error('closed'));
    },
  };
}

describe.each(storageBackends())('per-relay keys on $name', (backend) => {
  const h = useRelayHarness(backend, () => emulator);

  it('gives each relay a key pair from the reserve, re-sealed to its session, and refills the reserve', async () => {
    const relay = h.relay({ keyReserve: 2 });
    await relay.services.start();
    const { sessionId } = await relay.services.sessions.create('alice');

    const sent = (await emulator.requests()).find((entry) => entry.path === RELAYS_PATH)!;
    const session = (await h.storage.sessions.get(sessionId))!;
    const privateKeyPem = relay.secretBox.openText(session.privateKeySealed!, sealedField.privateKey(sessionId));
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((sent.body as Record<string, unknown>)['encryption-key-pem']).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    await eventually(async () => (await h.storage.keyReserve.count(3072)) === 2, 20_000, 'the refilled reserve');
  });

  it('answers RELAY_BUSY when no key pair becomes ready in time, and gives the creation slot back', async () => {
    const relay = h.relay(
      { keyReserve: 0, keyWaitMs: 50, limits: { sessionsPerSubjectPerHour: 1 } },
      { keyPairGenerator: stalledGenerator() },
    );
    const error = await relay.services.sessions.create('alice').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: RelayErrorCode.RELAY_BUSY, context: { retryAfterSeconds: 1 } });
    expect((await emulator.requests()).filter((entry) => entry.path === RELAYS_PATH)).toEqual([]);

    // The one slot of the hour is free again: with a key at hand, the next attempt goes through.
    await relay.close();
    await expect(h.relay({ limits: { sessionsPerSubjectPerHour: 1 } }).services.sessions.create('alice')).resolves.toMatchObject({
      claimType: expect.any(String),
    });
  });

  it('sweeps the keys of relays past their expiry and the replay window', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const relay = h.relay({ redemption: { replayWindowMs: 60_000 } }, { clock: () => now });
    const { sessionId, expiresAt } = await relay.services.sessions.create('alice');
    expect((await h.storage.sessions.get(sessionId))?.privateKeySealed).not.toBeNull();

    now = new Date(expiresAt.getTime() + 60_000);
    await relay.services.start(); // the first maintenance sweep runs at once
    expect((await h.storage.sessions.get(sessionId))?.privateKeySealed).not.toBeNull();

    now = new Date(expiresAt.getTime() + 60_001);
    const later = h.relay({ redemption: { replayWindowMs: 60_000 } }, { clock: () => now });
    await later.services.start();
    expect((await h.storage.sessions.get(sessionId))?.privateKeySealed).toBeNull();
  });
});
