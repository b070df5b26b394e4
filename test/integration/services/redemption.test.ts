/**
 * Redemption, end to end against the emulator over HTTP, on
 * every storage backend: stored answers, refunded passes, not-ready and
 * expired relays, ownership, one request for concurrent callers, a new pass
 * and key after a 401, retries of ambiguous outcomes with the same key,
 * resuming after a crash, the replay window, unreadable payloads, and the
 * session rate limits.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../../src/core/config/index.js';
import { isRelayError, RelayErrorCode } from '../../../src/core/errors.js';
import { sealedField } from '../../../src/core/services/sealing.js';
import type { PassRecord, RelaySessionRecord, RelayStorage } from '../../../src/core/storage/index.js';
import type { RequestLogEntry } from '../../../src/emulator/index.js';
import type { EmulatorFault } from '../../support/emulator.js';
import { CLAIM_TYPE, presentedToken, TestEmulator, tokenNonce } from '../../support/emulator.js';
import { postJson } from '../../support/http.js';
import type { TestRelay } from '../../support/relay.js';
import { capturingLogger, openSession, storageBackends, useRelayHarness } from '../../support/relay.js';

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await TestEmulator.start();
});
afterAll(async () => {
  await emulator?.close();
});

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

function keysOf(entries: RequestLogEntry[]): string[] {
  return entries.map((entry) => entry.headers['idempotency-key']!);
}

/** Storage that remembers every pass inserted (the ports cannot list passes). */
function recordingStorage(storage: RelayStorage): { storage: RelayStorage; passes: PassRecord[] } {
  const passes: PassRecord[] = [];
  return {
    passes,
    storage: {
      ...storage,
      passes: {
        ...storage.passes,
        insert: async (pass) => {
          await storage.passes.insert(pass);
          passes.push(pass);
        },
      },
    },
  };
}

/**
 * Redeems `token` on a relay of its own at the emulator (as if the pass had
 * leaked and been spent elsewhere). Returns that relay's token.
 */
async function spendElsewhere(token: string): Promise<string> {
  const relays = `${emulator.url}/api/privacy/v1/relays`;
  const created = await postJson(relays, { 'claim-type': CLAIM_TYPE, 'encryption-key-pem': null });
  const relayToken = created.json['relay-token'] as string;
  await emulator.complete(created.json['relay-session-access-token'] as string);
  const spent = await postJson(`${relays}/${relayToken}/generate-claim`, {}, {
    authorization: `PrivateToken token=${token}`,
    'persona-relay-secret': created.json['relay-secret'] as string,
    'idempotency-key': randomUUID(),
  });
  expect(spent.json).toMatchObject({ 'token-consumed': true });
  return relayToken;
}

/** The token of the one pass `relay` issued so far. */
function onlyPassToken(relay: TestRelay, passes: PassRecord[]): string {
  expect(passes).toHaveLength(1);
  return relay.secretBox.openText(passes[0]!.tokenSealed, sealedField.passToken(passes[0]!.id));
}

/** Storage whose `releaseLease` does nothing: what a process that dies mid-redemption leaves behind. */
function crashingStorage(storage: RelayStorage): RelayStorage {
  return { ...storage, redemptions: { ...storage.redemptions, releaseLease: async () => undefined } };
}

describe.each(storageBackends())('redemption on $name', (backend) => {
  const h = useRelayHarness(backend, () => emulator);

  it('redeems a passed claim once; a second call returns the stored answer without calling Persona', async () => {
    const relay = h.relay();
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    const claim = await relay.services.claims.redeem('alice', session.sessionId);
    expect(claim).toMatchObject({ sessionId: session.sessionId, claimType: CLAIM_TYPE, result: 'passed', methodology: [] });
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toEqual(claim);
    expect(await emulator.redemptions()).toHaveLength(1);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });
    expect(await relay.services.claims.hasClaim('alice', CLAIM_TYPE)).toBe(true);
    expect(await relay.services.claims.claimsOf('alice')).toEqual([
      { claimType: CLAIM_TYPE, result: 'passed', verifiedAt: claim.verifiedAt },
    ]);
    expect(await relay.services.sessions.get('alice', session.sessionId)).toMatchObject({ state: 'claimed' });
    const record = await h.inspect.redemptions.findLive(session.sessionId);
    expect(record).toMatchObject({ state: 'SUCCEEDED', attempts: 1 });
  });

  it('returns the pass of a failed claim (token-consumed: false) to the pool, unspent, and bills no second pass', async () => {
    const relay = h.relay();
    const session = await openSession(relay);
    await emulator.complete(session.accessToken, 'failed');
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'failed' });
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 0, claimsGenerated: 1 });
    const record = await h.inspect.redemptions.findLive(session.sessionId);
    expect(await h.storage.passes.get(record!.passId)).toMatchObject({ state: 'AVAILABLE', sessionId: null, reservedBy: null });
    expect(await relay.services.claims.hasClaim('alice', CLAIM_TYPE)).toBe(false);

    // The next session's redemption presents that same pass.
    const next = await openSession(relay, 'bob');
    await emulator.complete(next.accessToken);
    await relay.services.claims.redeem('bob', next.sessionId);
    const [first, second] = await emulator.redemptions();
    expect(tokenNonce(presentedToken(second!))).toBe(tokenNonce(presentedToken(first!)));
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });
  });

  it('answers CLAIM_NOT_READY before the verification finished, keeps the pass, and redeems once it did', async () => {
    const relay = h.relay();
    const session = await openSession(relay);
    const error = await failure(relay.services.claims.redeem('alice', session.sessionId));
    expect(isRelayError(error, RelayErrorCode.CLAIM_NOT_READY)).toBe(true);
    const [tooEarly] = await emulator.redemptions();
    expect(tooEarly!.status).toBe(403);
    expect(await h.storage.redemptions.get(tooEarly!.headers['idempotency-key']!)).toMatchObject({
      state: 'FAILED_FINAL',
      failure: '403 relay_not_completed',
    });
    expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 1, RESERVED: 0 });

    await emulator.complete(session.accessToken);
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    const [first, second] = await emulator.redemptions();
    expect(tokenNonce(presentedToken(second!))).toBe(tokenNonce(presentedToken(first!)));
    expect(second!.headers['idempotency-key']).not.toBe(first!.headers['idempotency-key']);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });
  });

  it('answers SESSION_EXPIRED for a relay that expired unverified, and keeps the pass', async () => {
    const relay = h.relay();
    const session = await openSession(relay);
    await emulator.advanceClock(31 * 60);
    const error = await failure(relay.services.claims.redeem('alice', session.sessionId));
    expect(isRelayError(error, RelayErrorCode.SESSION_EXPIRED)).toBe(true);
    expect(await relay.services.sessions.get('alice', session.sessionId)).toMatchObject({ state: 'expired' });
    expect(await h.inspect.passes.countByState()).toMatchObject({ AVAILABLE: 1 });
    expect(await emulator.state()).toMatchObject({ passesRedeemed: 0 });
  });

  it("answers SESSION_NOT_FOUND for another subject's session and INVALID_REQUEST for a malformed id, calling no one", async () => {
    const relay = h.relay();
    const session = await openSession(relay, 'alice');
    await emulator.complete(session.accessToken);
    const before = (await emulator.requests()).length;
    const stranger = await failure(relay.services.claims.redeem('mallory', session.sessionId));
    expect(isRelayError(stranger, RelayErrorCode.SESSION_NOT_FOUND)).toBe(true);
    const unknown = await failure(relay.services.claims.redeem('alice', '3f0b3c36-0bd4-4f6e-9a57-0a6a3cf1a2b4'));
    expect(isRelayError(unknown, RelayErrorCode.SESSION_NOT_FOUND)).toBe(true);
    const malformed = await failure(relay.services.claims.redeem('alice', 'not-a-session'));
    expect(isRelayError(malformed, RelayErrorCode.INVALID_REQUEST)).toBe(true);
    expect(await emulator.requests()).toHaveLength(before);
  });

  it('sends exactly one redemption for concurrent calls in one process, and gives all of them the same answer', async () => {
    const relay = h.relay();
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    // Keep the one request in flight a while, so the other calls arrive while it runs.
    await emulator.fault({ endpoint: 'generate-claim', mode: 'delay', delayMs: 300 });
    const claims = await Promise.all(Array.from({ length: 5 }, () => relay.services.claims.redeem('alice', session.sessionId)));
    for (const claim of claims) expect(claim).toEqual(claims[0]);
    expect(await emulator.redemptions()).toHaveLength(1);
    expect(await emulator.state()).toMatchObject({ passesRedeemed: 1, doubleSpendRejected: 0 });
  });

  it('after a 401 (pass spent elsewhere) marks the pass unusable and redeems with a new pass and a new key', async () => {
    const recording = recordingStorage(h.storage);
    const relay = h.relay({}, { storage: recording.storage });
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    const elsewhere = await spendElsewhere(onlyPassToken(relay, recording.passes));

    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    const ours = (await emulator.redemptions()).filter((entry) => !entry.path.includes(elsewhere));
    expect(ours.map((entry) => entry.status)).toEqual([401, 200]);
    const [rejected, accepted] = ours as [RequestLogEntry, RequestLogEntry];
    expect(accepted.headers['idempotency-key']).not.toBe(rejected.headers['idempotency-key']);
    expect(tokenNonce(presentedToken(accepted))).not.toBe(tokenNonce(presentedToken(rejected)));
    expect(await h.storage.redemptions.get(rejected.headers['idempotency-key']!)).toMatchObject({
      state: 'FAILED_FINAL',
      failure: '401 token_already_redeemed',
    });
    expect(await h.inspect.passes.countByState()).toMatchObject({ UNUSABLE: 1, CONSUMED: 1 });
    // The new pass was issued for this session, from its relay's 401.
    expect(recording.passes[1]).toMatchObject({ sessionId: session.sessionId });
    // The first pass was spent by the other relay, the second one here; the rejected attempt spent nothing.
    expect(await emulator.state()).toMatchObject({ passesIssued: 2, passesRedeemed: 2, doubleSpendRejected: 1 });
  });

  const ambiguous: Array<{ name: string; fault: EmulatorFault; options?: RelayOptions }> = [
    { name: '503 twice', fault: { endpoint: 'generate-claim', mode: 'status', status: 503, times: 2 } },
    { name: '409', fault: { endpoint: 'generate-claim', mode: 'status', status: 409 } },
    {
      name: '429 twice',
      fault: { endpoint: 'generate-claim', mode: 'status', status: 429, times: 2 },
      // Room for both 1-second resets: the test options' budget of 0 would end the call at the first 429.
      options: { retry: { rateLimitMaxWaitMs: 2_000 } },
    },
    { name: 'a lost response (drop-after-commit)', fault: { endpoint: 'generate-claim', mode: 'drop-after-commit' } },
    {
      name: 'a timeout while Persona is still working',
      fault: { endpoint: 'generate-claim', mode: 'delay', delayMs: 1_000 },
      options: { retry: { requestTimeoutMs: 300, baseDelayMs: 200, maxDelayMs: 1_000, maxRetries: 6 } },
    },
  ];
  it.each(ambiguous)('retries $name with the same key and pass, and delivers the claim', async ({ fault, options }) => {
    const relay = h.relay(options ?? {});
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    await emulator.fault(fault);
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });

    const sent = await emulator.redemptions();
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keysOf(sent)).size).toBe(1);
    expect(new Set(sent.map(presentedToken)).size).toBe(1);
    expect(sent.at(-1)!.status).toBe(200);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1, doubleSpendRejected: 0 });
    // Every request sent was counted on the record before it went out.
    expect(await h.storage.redemptions.get(keysOf(sent)[0]!)).toMatchObject({ state: 'SUCCEEDED', attempts: sent.length });
  });

  it('keeps a redemption whose retries ran out PENDING, and the next call resumes it with the same key', async () => {
    const relay = h.relay({ retry: { maxRetries: 1 } });
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'status', status: 503, times: 2 });
    const error = await failure(relay.services.claims.redeem('alice', session.sessionId));
    expect(error).toMatchObject({ status: 503 });
    const pending = await h.inspect.redemptions.findLive(session.sessionId);
    expect(pending).toMatchObject({ state: 'PENDING', attempts: 2, leaseOwner: null });
    expect(await h.storage.passes.get(pending!.passId)).toMatchObject({ state: 'RESERVED', reservedBy: pending!.key });

    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    const sent = await emulator.redemptions();
    expect(keysOf(sent)).toEqual([pending!.key, pending!.key, pending!.key]);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1 });
  });

  it('never releases a pass an earlier request may have spent: a 403 after a lost answer keeps the record PENDING', async () => {
    // Found by the chaos run: Persona commits the first request (the pass is spent) but the answer is lost;
    // the retry meets a 403. Releasing the pass then would hand a spent pass to the next session.
    const relay = h.relay({ retry: { forbiddenRetryBudgetMs: 0 } });
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'drop-after-commit' });
    await emulator.fault({ endpoint: 'generate-claim', mode: 'status', status: 403, times: 1 });
    expect(isRelayError(await failure(relay.services.claims.redeem('alice', session.sessionId)), RelayErrorCode.CLAIM_NOT_READY)).toBe(true);
    const pending = await h.inspect.redemptions.findLive(session.sessionId);
    expect(pending).toMatchObject({ state: 'PENDING' });
    expect(await h.storage.passes.get(pending!.passId)).toMatchObject({ state: 'RESERVED' });

    // The next call sends the same key and gets Persona's stored answer: one pass, spent once.
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    expect(new Set(keysOf(await emulator.redemptions())).size).toBe(1);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1, doubleSpendRejected: 0 });
  });

  it('leaves a PENDING record alone while its lease runs, and resumeStale() finishes it with the same key after', async () => {
    // Instance A sends the request, Persona commits it, the answer is lost, and A dies before giving its lease up.
    const a = h.relay({ retry: { maxRetries: 0 } }, { storage: crashingStorage(h.storage), instanceId: 'instance-a' });
    const session = await openSession(a);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'drop-after-commit' });
    await failure(a.services.claims.redeem('alice', session.sessionId));
    const pending = await h.inspect.redemptions.findLive(session.sessionId);
    expect(pending).toMatchObject({ state: 'PENDING', attempts: 1 });
    expect(pending!.leaseOwner).toMatch(/^instance-a\//);

    const sameTime = h.relay({}, { instanceId: 'instance-b' });
    expect(await sameTime.services.claims.resumeStale()).toBe(0);

    // Instance B, once A's lease (30 s) has run out.
    const b = h.relay({}, { instanceId: 'instance-b', clock: () => new Date(Date.now() + 60_000) });
    expect(await b.services.claims.resumeStale()).toBe(1);
    expect(await h.storage.redemptions.get(pending!.key)).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
    const sent = await emulator.redemptions();
    expect(keysOf(sent)).toEqual([pending!.key, pending!.key]);
    expect(sent.map((entry) => entry.dropped)).toEqual([true, false]);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1, doubleSpendRejected: 0 });
    // The claim is there for everyone now, with no further request.
    expect(await a.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    expect(await emulator.redemptions()).toHaveLength(2);
  });

  it('turns a PENDING redemption past the replay window into UNKNOWN, reports it, and never sends its key again', async () => {
    const a = h.relay({ retry: { maxRetries: 0 } }, { storage: crashingStorage(h.storage), instanceId: 'instance-a' });
    const session = await openSession(a);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'drop-after-commit' });
    await failure(a.services.claims.redeem('alice', session.sessionId));
    const pending = await h.inspect.redemptions.findLive(session.sessionId);

    const twoHours = 2 * 3_600_000;
    const logger = capturingLogger();
    const b = h.relay({}, { instanceId: 'instance-b', clock: () => new Date(Date.now() + twoHours), logger });
    expect(await b.services.claims.resumeStale()).toBe(1);
    expect(await h.storage.redemptions.get(pending!.key)).toMatchObject({ state: 'UNKNOWN', attempts: 1 });
    expect(logger.entries).toContainEqual({
      level: 'error',
      message: 'redemption outcome unknown: replay window closed',
      context: { idempotencyKey: pending!.key, sessionId: session.sessionId },
    });
    expect(await h.storage.passes.get(pending!.passId)).toMatchObject({ state: 'RESERVED' });
    expect(await emulator.redemptions()).toHaveLength(1);
    expect(await b.services.claims.resumeStale()).toBe(0);
  });

  it('answers REDEMPTION_UNKNOWN to the caller that finds the replay window closed', async () => {
    const a = h.relay({ retry: { maxRetries: 0 } }, { storage: crashingStorage(h.storage), instanceId: 'instance-a' });
    const session = await openSession(a);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'drop-after-commit' });
    await failure(a.services.claims.redeem('alice', session.sessionId));
    const pending = await h.inspect.redemptions.findLive(session.sessionId);

    const twoHours = 2 * 3_600_000;
    const b = h.relay({}, { instanceId: 'instance-b', clock: () => new Date(Date.now() + twoHours) });
    const error = await failure(b.services.claims.redeem('alice', session.sessionId));
    expect(isRelayError(error, RelayErrorCode.REDEMPTION_UNKNOWN)).toBe(true);
    expect(await h.storage.redemptions.get(pending!.key)).toMatchObject({ state: 'UNKNOWN' });
    expect(await emulator.redemptions()).toHaveLength(1);

    // Asked again, it is a new redemption with a new pass and key; the UNKNOWN key is never sent again.
    await emulator.advanceClock(twoHours / 1000);
    expect(await b.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    const keys = keysOf(await emulator.redemptions());
    expect(keys).toHaveLength(2);
    expect(keys.filter((key) => key === pending!.key)).toHaveLength(1);
  });

  it('keeps a response it could not read, and stores the claim when a later call reads it', async () => {
    let tampered = true;
    const storage: RelayStorage = {
      ...h.storage,
      sessions: {
        ...h.storage.sessions,
        // While `tampered`, the session's private key reads back as garbage: the payload cannot be decrypted.
        get: async (id) => {
          const session = await h.storage.sessions.get(id);
          return session && tampered ? ({ ...session, privateKeySealed: 'k1.broken' } satisfies RelaySessionRecord) : session;
        },
      },
    };
    const relay = h.relay({ encryption: 'per-relay' }, { storage });
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    await failure(relay.services.claims.redeem('alice', session.sessionId));
    expect(await h.inspect.redemptions.findLive(session.sessionId)).toMatchObject({ state: 'SUCCEEDED' });
    expect(await relay.services.claims.hasClaim('alice', CLAIM_TYPE)).toBe(false);
    expect(await emulator.state()).toMatchObject({ passesRedeemed: 1 });

    tampered = false;
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
    expect(await relay.services.claims.hasClaim('alice', CLAIM_TYPE)).toBe(true);
    expect(await relay.services.claims.claimsOf('alice')).toHaveLength(1);
    expect(await emulator.redemptions()).toHaveLength(1);
  });

  it('rate limits session creation per subject and in total, before anything is created at Persona', async () => {
    const relay = h.relay({ encryption: 'none', limits: { sessionsPerSubjectPerHour: 2, sessionsPerHour: 3 } });
    await relay.services.sessions.create('alice');
    await relay.services.sessions.create('alice');
    const perSubject = await failure(relay.services.sessions.create('alice'));
    expect(isRelayError(perSubject, RelayErrorCode.RATE_LIMITED)).toBe(true);
    expect((perSubject as { context: unknown }).context).toMatchObject({ scope: 'subject' });
    await relay.services.sessions.create('bob');
    const global = await failure(relay.services.sessions.create('carol'));
    expect(isRelayError(global, RelayErrorCode.RATE_LIMITED)).toBe(true);
    expect((global as { context: unknown }).context).toMatchObject({ scope: 'global' });
    await relay.services.drain();
    expect(await emulator.state()).toMatchObject({ relays: 3, passesIssued: 3 });
  });

  it('limits sessions per client address too, and says when the window frees a place', async () => {
    let now = new Date('2030-01-01T00:00:00.000Z');
    const relay = h.relay(
      { encryption: 'none', limits: { sessionsPerSubjectPerHour: 5, sessionsPerClientPerHour: 2, sessionsPerHour: 10 } },
      { clock: () => now },
    );
    await relay.services.sessions.create('alice', undefined, { client: '203.0.113.7' });
    now = new Date('2030-01-01T00:20:00.000Z');
    await relay.services.sessions.create('bob', undefined, { client: '203.0.113.7' });
    const limited = await failure(relay.services.sessions.create('carol', undefined, { client: '203.0.113.7' }));
    expect(isRelayError(limited, RelayErrorCode.RATE_LIMITED)).toBe(true);
    // alice's slot, taken 20 minutes ago, leaves the hour in 40 minutes.
    expect((limited as { context: unknown }).context).toEqual({ scope: 'client', retryAfterSeconds: 40 * 60 });
    await relay.services.sessions.create('carol', undefined, { client: '198.51.100.1' });
    now = new Date('2030-01-01T01:00:00.000Z');
    await relay.services.sessions.create('dave', undefined, { client: '203.0.113.7' });
    await relay.services.drain();
  });

  it('gives the slot back when Persona fails to create the relay (nothing was billed)', async () => {
    const relay = h.relay({ encryption: 'none', limits: { sessionsPerSubjectPerHour: 1, sessionsPerHour: 10 }, retry: { maxRetries: 0 } });
    await emulator.fault({ endpoint: 'relays', mode: 'status', status: 400, times: 1 });
    expect(isRelayError(await failure(relay.services.sessions.create('alice')), RelayErrorCode.PERSONA_API)).toBe(true);
    await relay.services.sessions.create('alice');
    await relay.services.drain();
    expect(await emulator.state()).toMatchObject({ relays: 1, passesIssued: 1 });
  });

});
