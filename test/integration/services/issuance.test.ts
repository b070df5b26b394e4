/**
 * Issuance and encryption, end to end against the emulator over HTTP, on
 * every storage backend: at-creation issuance (off the request path, bound
 * to its session, challenge from the relay's 401 or the endpoint), reuse of
 * refunded passes, pool mode (fill, take, overfill bound, expiry) and the
 * three payload encryption modes.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlindRsaEngine } from '../../../src/core/crypto/index.js';
import type { BlindRsaEngine } from '../../../src/core/crypto/index.js';
import {
  CHALLENGE_PATH,
  CLAIM_TYPE,
  isProbe,
  PRIVACY_PASSES_PATH,
  presentedToken,
  RELAYS_PATH,
  TestEmulator,
  tokenNonce,
} from '../../support/emulator.js';
import { openSession, storageBackends, useRelayHarness } from '../../support/relay.js';

let emulator: TestEmulator;
/** Challenges that live 10 minutes (`--challenge-ttl 10m`). */
let shortLived: TestEmulator;
beforeAll(async () => {
  emulator = await TestEmulator.start();
  shortLived = await TestEmulator.start({ challengeTtl: '10m' });
});
afterAll(async () => {
  await emulator?.close();
  await shortLived?.close();
});

/** A blind RSA engine whose `blind` waits until the test opens the gate. */
function gatedEngine(): { engine: BlindRsaEngine; open(): void; reached: Promise<void> } {
  const inner = createBlindRsaEngine('node-crypto');
  let open!: () => void;
  let reach!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    engine: {
      name: 'gated',
      async blind(spki, message) {
        reach();
        await gate;
        return inner.blind(spki, message);
      },
      finalize: (state, signature) => inner.finalize(state, signature),
      close: () => inner.close(),
    },
    open,
    reached,
  };
}

describe.each(storageBackends())('issuance on $name', (backend) => {
  const h = useRelayHarness(backend, () => emulator);

  describe('at-creation', () => {
    it("issues off the request path, with the challenge from the new relay's 401, a pass bound to the session", async () => {
      const gated = gatedEngine();
      const relay = h.relay({}, { engine: gated.engine });
      const created = await relay.services.sessions.create('alice');
      // create() has answered while the issuance is held before blinding: nothing is issued yet.
      await gated.reached;
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 0 });
      expect((await emulator.state()).passesIssued).toBe(0);
      gated.open();
      await relay.services.drain();

      const log = await emulator.requests();
      expect(log.map((entry) => (isProbe(entry) ? 'probe' : entry.path))).toEqual([RELAYS_PATH, 'probe', PRIVACY_PASSES_PATH]);
      const probe = log[1]!;
      expect(probe.status).toBe(401);
      expect(probe.headers['persona-relay-secret']).toBeDefined();
      expect(probe.headers['idempotency-key']).toBeUndefined();
      expect(log.some((entry) => entry.path === CHALLENGE_PATH)).toBe(false);
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 1 });

      await emulator.complete(created.accessToken);
      await relay.services.claims.redeem('alice', created.sessionId);
      const record = await h.inspect.redemptions.findLive(created.sessionId);
      const pass = await h.storage.passes.get(record!.passId);
      expect(pass).toMatchObject({ sessionId: created.sessionId, state: 'CONSUMED' });
      expect((await emulator.state()).passesIssued).toBe(1);
    });

    it('binds each pass to its own session', async () => {
      const relay = h.relay({ encryption: 'none' });
      const first = await openSession(relay, 'alice');
      const second = await openSession(relay, 'bob');
      await emulator.complete(second.accessToken);
      await relay.services.claims.redeem('bob', second.sessionId);
      const record = await h.inspect.redemptions.findLive(second.sessionId);
      expect((await h.storage.passes.get(record!.passId))?.sessionId).toBe(second.sessionId);
      expect(first.sessionId).not.toBe(second.sessionId);
      // The first session's pass is untouched and still its own.
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 1, CONSUMED: 1 });
    });

    it("takes the challenge from the endpoint with challengeSource 'endpoint'", async () => {
      const relay = h.relay({ challengeSource: 'endpoint', encryption: 'none' });
      await openSession(relay);
      const log = await emulator.requests();
      expect(log.map((entry) => entry.path)).toEqual([RELAYS_PATH, CHALLENGE_PATH, PRIVACY_PASSES_PATH]);
      expect(log[1]!.body).toEqual({ 'claim-type': CLAIM_TYPE });
      expect(log.some(isProbe)).toBe(false);
    });

    it('reuses a pass Persona refunded (failed claim) for the next session instead of buying one', async () => {
      const relay = h.relay({ encryption: 'none' });
      const failed = await openSession(relay, 'alice');
      await emulator.complete(failed.accessToken, 'failed');
      await relay.services.claims.redeem('alice', failed.sessionId);

      const next = await openSession(relay, 'bob');
      expect((await emulator.state()).passesIssued).toBe(1);
      await emulator.complete(next.accessToken, 'passed');
      expect(await relay.services.claims.redeem('bob', next.sessionId)).toMatchObject({ result: 'passed' });

      const [firstTry, secondTry] = await emulator.redemptions();
      expect(tokenNonce(presentedToken(secondTry!))).toBe(tokenNonce(presentedToken(firstTry!)));
      expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });
    });
  });

  describe('pool', () => {
    it('fills to poolSize per claim type from the challenge endpoint, and redemption takes from it', async () => {
      const relay = h.relay({ issuance: 'pool', pool: { size: 3 }, allowedClaimTypes: [CLAIM_TYPE, 'age_over21_verified'], encryption: 'none' });
      expect(await relay.services.pool.refill()).toEqual({ issued: 6, expired: 0, failed: 0 });
      expect(await relay.services.pool.depth(CLAIM_TYPE)).toBe(3);
      expect(await relay.services.pool.depth('age_over21_verified')).toBe(3);
      const log = await emulator.requests();
      expect(log.filter((entry) => entry.path === CHALLENGE_PATH)).toHaveLength(6);
      expect(log.filter((entry) => entry.path === PRIVACY_PASSES_PATH)).toHaveLength(6);
      expect(log.some((entry) => entry.path === RELAYS_PATH)).toBe(false);

      // Sessions in pool mode buy nothing when created.
      const session = await openSession(relay);
      expect((await emulator.requests()).map((entry) => entry.path).slice(-1)).toEqual([RELAYS_PATH]);
      await emulator.complete(session.accessToken);
      await relay.services.claims.redeem('alice', session.sessionId);
      expect(await relay.services.pool.depth(CLAIM_TYPE)).toBe(2);
      expect(await emulator.state()).toMatchObject({ passesIssued: 6, passesRedeemed: 1 });

      expect(await relay.services.pool.refill()).toEqual({ issued: 1, expired: 0, failed: 0 });
      expect(await relay.services.pool.depth(CLAIM_TYPE)).toBe(3);
    });

    it('overfills by at most one pass per extra instance when two instances refill at once', async () => {
      const options = { issuance: 'pool', pool: { size: 4 }, encryption: 'none' } as const;
      const a = h.relay(options);
      const b = h.relay(options);
      await Promise.all([a.services.pool.refill(), b.services.pool.refill()]);
      const depth = await a.services.pool.depth(CLAIM_TYPE);
      expect(depth).toBeGreaterThanOrEqual(4);
      expect(depth).toBeLessThanOrEqual(5);
    });

    it('never presents an expired pass, and marks it EXPIRED', async () => {
      let offsetMs = 0;
      const clock = () => new Date(Date.now() + offsetMs);
      const relay = h.relay({ issuance: 'pool', pool: { size: 2, whenDry: 'issue' }, encryption: 'none' }, { clock });
      await relay.services.pool.refill();
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 2 });

      // Two hours on, on both clocks: the pooled passes' challenges have expired.
      offsetMs = 2 * 3_600_000 + 60_000;
      await emulator.advanceClock(offsetMs / 1000);
      const session = await openSession(relay);
      await emulator.complete(session.accessToken);
      expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });

      // One redemption, accepted: a pooled pass presented now would have been refused (challenge_expired).
      expect((await emulator.redemptions()).map((entry) => entry.status)).toEqual([200]);
      expect(await emulator.state()).toMatchObject({ passesIssued: 3, passesRedeemed: 1, doubleSpendRejected: 0 });
      // The pass issued on demand was used; both pooled ones are untouched (neither reserved nor spent).
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 2, RESERVED: 0, CONSUMED: 1, UNUSABLE: 0 });

      // The sweep (and every refill) turns them into counted waste.
      expect(await relay.services.pool.expireStale()).toBe(2);
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 0, EXPIRED: 2, CONSUMED: 1 });
    });

    it('does not present a pass inside the expiry margin', async () => {
      // Passes that live 10 minutes with a 9-minute margin: usable for one minute of the test's clock.
      await shortLived.reset();
      let offsetMs = 0;
      const clock = () => new Date(Date.now() + offsetMs);
      const relay = h.relay(
        { apiUrl: shortLived.url, issuance: 'pool', pool: { size: 1, whenDry: 'issue' }, encryption: 'none', tokenExpiryMarginMs: 9 * 60_000 },
        { clock },
      );
      await relay.services.pool.refill();
      expect(await relay.services.pool.depth(CLAIM_TYPE)).toBe(1);
      offsetMs = 2 * 60_000; // 8 minutes of life left: inside the margin
      expect(await relay.services.pool.depth(CLAIM_TYPE)).toBe(0);
      await shortLived.advanceClock(offsetMs / 1000);
      const session = await openSession(relay);
      await shortLived.complete(session.accessToken);
      await relay.services.claims.redeem('alice', session.sessionId);
      expect(await shortLived.state()).toMatchObject({ passesIssued: 2, passesRedeemed: 1 });
      expect((await shortLived.redemptions()).map((entry) => entry.status)).toEqual([200]);
      expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 1, CONSUMED: 1 });
      expect(await relay.services.pool.expireStale()).toBe(1);
    });
  });

  describe('payload encryption', () => {
    it('per-relay: a fresh public key on every relay, and the claim decrypts', async () => {
      const relay = h.relay({ encryption: 'per-relay' });
      const first = await openSession(relay, 'alice');
      await openSession(relay, 'bob');
      const keys = (await emulator.requests())
        .filter((entry) => entry.path === RELAYS_PATH)
        .map((entry) => (entry.body as Record<string, unknown>)['encryption-key-pem']);
      expect(keys).toHaveLength(2);
      for (const key of keys) expect(key).toMatch(/^-----BEGIN PUBLIC KEY-----/);
      expect(keys[0]).not.toBe(keys[1]);
      await emulator.complete(first.accessToken);
      expect(await relay.services.claims.redeem('alice', first.sessionId)).toMatchObject({ result: 'passed', methodology: [] });
    });

    it('static: the configured key on every relay, and the claim decrypts', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      const relay = h.relay({ encryption: 'static', staticPublicKeyPem: publicKey, staticPrivateKeyPem: privateKey });
      const first = await openSession(relay, 'alice');
      await openSession(relay, 'bob');
      const keys = (await emulator.requests())
        .filter((entry) => entry.path === RELAYS_PATH)
        .map((entry) => String((entry.body as Record<string, unknown>)['encryption-key-pem']).trim());
      expect(keys).toEqual([publicKey.trim(), publicKey.trim()]);
      await emulator.complete(first.accessToken, 'failed');
      expect(await relay.services.claims.redeem('alice', first.sessionId)).toMatchObject({ result: 'failed' });
    });

    it('none: relays without a key, plaintext claims', async () => {
      const relay = h.relay({ encryption: 'none' });
      const session = await openSession(relay);
      const created = (await emulator.requests()).find((entry) => entry.path === RELAYS_PATH)!;
      expect(created.body).toEqual({ 'claim-type': CLAIM_TYPE, 'encryption-key-pem': null });
      await emulator.complete(session.accessToken);
      expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    });
  });
});
