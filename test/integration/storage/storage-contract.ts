/**
 * The contract of the storage ports (src/core/storage/ports.ts), as one test
 * suite that every RelayStorage implementation runs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isRelayError, RelayErrorCode } from '../../../src/core/errors.js';
import type {
  BeginRedemptionInput,
  PassOutcome,
  PassRecord,
  RedemptionRecord,
  RelaySessionRecord,
  RelayStorage,
  ReservedKeyPairRecord,
  VerifiedClaimRecord,
} from '../../../src/core/storage/index.js';
import type { InspectedStorage, StorageInspector } from './support/storage-inspector.js';

/** How a test file provides the storage under test. */
export interface StorageFixture {
  /** A storage on empty tables, and its inspector; called before each test. */
  fresh(): Promise<InspectedStorage>;
  /** Releases everything; called once after the suite. */
  dispose(): Promise<void>;
}

const T0 = new Date('2030-01-01T00:00:00.000Z');

/** `T0` plus `minutes`. */
function at(minutes: number): Date {
  return new Date(T0.getTime() + minutes * 60_000);
}

const CLAIM_TYPE = 'age_over_18';

function aSession(overrides: Partial<RelaySessionRecord> = {}): RelaySessionRecord {
  return {
    id: randomUUID(),
    subject: 'subject-1',
    claimType: CLAIM_TYPE,
    environment: 'sandbox',
    relayTokenSealed: 'sealed:relay-token',
    relaySecretSealed: 'sealed:relay-secret',
    privateKeySealed: 'sealed:private-key',
    state: 'open',
    createdAt: at(0),
    expiresAt: at(30),
    ...overrides,
  };
}

function aPass(overrides: Partial<PassRecord> = {}): PassRecord {
  return {
    id: randomUUID(),
    tokenSealed: 'sealed:privacy-pass',
    keyId: 'key-1',
    claimType: CLAIM_TYPE,
    environment: 'sandbox',
    expiresAt: at(60),
    state: 'AVAILABLE',
    sessionId: null,
    reservedBy: null,
    createdAt: at(0),
    ...overrides,
  };
}

function aReservedKeyPair(overrides: Partial<ReservedKeyPairRecord> = {}): ReservedKeyPairRecord {
  return {
    id: randomUUID(),
    publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
    privateKeySealed: 'sealed:reserved-private-key',
    modulusBits: 3072,
    createdAt: at(0),
    ...overrides,
  };
}

function beginInput(sessionId: string, overrides: Partial<BeginRedemptionInput> = {}): BeginRedemptionInput {
  return {
    sessionId,
    claimType: CLAIM_TYPE,
    environment: 'sandbox',
    usableAfter: at(5),
    key: randomUUID(),
    leaseOwner: 'instance-a',
    leaseExpiresAt: at(2),
    now: at(1),
    ...overrides,
  };
}

function aClaim(sessionId: string, overrides: Partial<VerifiedClaimRecord> = {}): VerifiedClaimRecord {
  return {
    sessionId,
    subject: 'subject-1',
    claimType: CLAIM_TYPE,
    result: 'passed',
    methodology: [
      { method: 'government_id', result: 'passed' },
      { method: 'selfie', result: 'passed' },
    ],
    verifiedAt: at(3),
    ...overrides,
  };
}

async function expectStorageError(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(isRelayError(error, RelayErrorCode.STORAGE), `expected a storage RelayError, got ${String(error)}`).toBe(true);
}

/** Registers the contract tests for one implementation. */
export function describeStorageContract(name: string, open: () => Promise<StorageFixture>): void {
  describe(`RelayStorage contract: ${name}`, () => {
    let fixture: StorageFixture;
    let storage: RelayStorage;
    let inspect: StorageInspector;

    beforeAll(async () => {
      fixture = await open();
    });
    afterAll(async () => {
      await fixture?.dispose();
    });
    beforeEach(async () => {
      ({ storage, inspect } = await fixture.fresh());
    });

    /** Inserts a session and returns it. */
    async function session(overrides: Partial<RelaySessionRecord> = {}): Promise<RelaySessionRecord> {
      const record = aSession(overrides);
      await storage.sessions.insert(record);
      return record;
    }

    /** Inserts a pass and returns it. */
    async function pass(overrides: Partial<PassRecord> = {}): Promise<PassRecord> {
      const record = aPass(overrides);
      await storage.passes.insert(record);
      return record;
    }

    /** A session with one pass and a started redemption. */
    async function started(): Promise<{ session: RelaySessionRecord; record: RedemptionRecord; pass: PassRecord }> {
      const owner = await session();
      await pass({ sessionId: owner.id });
      const result = await storage.redemptions.begin(beginInput(owner.id));
      if (result.kind !== 'started') throw new Error(`expected a started redemption, got ${result.kind}`);
      return { session: owner, record: result.record, pass: result.pass };
    }

    describe('sessions', () => {
      it('stores every field and reads it back, Dates as Dates', async () => {
        const record = await session();
        const plaintext = await session({ privateKeySealed: null, environment: 'production', state: 'expired' });
        expect(await storage.sessions.get(record.id)).toEqual(record);
        expect(await storage.sessions.get(plaintext.id)).toEqual(plaintext);
        expect((await storage.sessions.get(record.id))?.createdAt).toBeInstanceOf(Date);
      });

      it('answers null for an unknown id, whatever its format', async () => {
        expect(await storage.sessions.get(randomUUID())).toBeNull();
        expect(await storage.sessions.get('not-a-uuid')).toBeNull();
      });

      it('rejects a second session with the same id', async () => {
        const record = await session();
        await expectStorageError(storage.sessions.insert({ ...record, subject: 'someone-else' }));
        expect((await storage.sessions.get(record.id))?.subject).toBe('subject-1');
      });

      it('sets the state, and ignores unknown ids', async () => {
        const record = await session();
        await inspect.sessions.setState(record.id, 'expired');
        await inspect.sessions.setState(randomUUID(), 'claimed');
        expect(await storage.sessions.get(record.id)).toEqual({ ...record, state: 'expired' });
      });
    });

    describe('sessions.forgetKeys', () => {
      it('deletes the payload keys of sessions expired before the cutoff, except those with a PENDING redemption', async () => {
        const expired = await session({ expiresAt: at(30) });
        const live = await session({ expiresAt: at(40) });
        const plaintext = await session({ expiresAt: at(30), privateKeySealed: null });
        const { session: pending } = await started();
        const { session: failed, record } = await started();
        await storage.redemptions.fail({ key: record.key, failure: 'test', passOutcome: 'released', now: at(3) });

        expect(await storage.sessions.forgetKeys(at(31))).toBe(2);
        expect(await storage.sessions.get(expired.id)).toEqual({ ...expired, privateKeySealed: null });
        expect(await storage.sessions.get(failed.id)).toEqual({ ...failed, privateKeySealed: null });
        expect(await storage.sessions.get(live.id)).toEqual(live);
        expect(await storage.sessions.get(pending.id)).toEqual(pending);
        expect(await storage.sessions.get(plaintext.id)).toEqual(plaintext);
        expect(await storage.sessions.forgetKeys(at(31))).toBe(0);
      });

      it('keeps the key of a session expiring exactly at the cutoff', async () => {
        const edge = await session({ expiresAt: at(30) });
        expect(await storage.sessions.forgetKeys(at(30))).toBe(0);
        expect(await storage.sessions.get(edge.id)).toEqual(edge);
      });
    });

    describe('keyReserve', () => {
      it('hands out the oldest key pair of the asked size, every field intact, once', async () => {
        const newer = aReservedKeyPair({ createdAt: at(2) });
        const older = aReservedKeyPair({ createdAt: at(1) });
        const larger = aReservedKeyPair({ modulusBits: 4096 });
        await storage.keyReserve.add([newer, older, larger]);
        expect(await storage.keyReserve.count(3072)).toBe(2);
        expect(await storage.keyReserve.count(4096)).toBe(1);

        const taken = await storage.keyReserve.take(3072);
        expect(taken).toEqual(older);
        expect(taken?.createdAt).toBeInstanceOf(Date);
        expect(await storage.keyReserve.take(3072)).toEqual(newer);
        expect(await storage.keyReserve.take(3072)).toBeNull();
        expect(await storage.keyReserve.count(3072)).toBe(0);
        expect(await storage.keyReserve.take(4096)).toEqual(larger);
      });

      it('adds nothing when one of the records repeats an id', async () => {
        const existing = aReservedKeyPair();
        await storage.keyReserve.add([existing]);
        await expectStorageError(storage.keyReserve.add([aReservedKeyPair(), { ...existing, publicKeyPem: 'other' }]));
        expect(await storage.keyReserve.count(3072)).toBe(1);
        await storage.keyReserve.add([]);
        expect(await storage.keyReserve.count(3072)).toBe(1);
      });

      it('hands each key pair to exactly one of many concurrent takers', async () => {
        const stored = Array.from({ length: 5 }, (_, i) => aReservedKeyPair({ createdAt: at(i) }));
        await storage.keyReserve.add(stored);
        const taken = await Promise.all(Array.from({ length: 12 }, () => storage.keyReserve.take(3072)));
        const ids = taken.flatMap((record) => (record === null ? [] : [record.id]));
        expect(ids.sort()).toEqual(stored.map((record) => record.id).sort());
        expect(await storage.keyReserve.count(3072)).toBe(0);
      });
    });

    describe('session slots', () => {
      const HOUR = 60 * 60_000;
      const LIMITS = { perSubject: 2, perClient: 3, global: 4 };
      const take = (subject: string, client: string | null, minutes: number, limits = LIMITS) =>
        storage.sessionSlots.take({ id: randomUUID(), subject, client, now: at(minutes), windowMs: HOUR, limits });

      it('takes slots up to each limit, checking subject, then client, then the total', async () => {
        expect(await take('alice', 'ip:a', 0)).toEqual({ kind: 'taken' });
        expect(await take('alice', 'ip:a', 1)).toEqual({ kind: 'taken' });
        expect(await take('alice', 'ip:b', 2)).toEqual({ kind: 'refused', scope: 'subject', freesAt: at(60) });
        expect(await take('bob', 'ip:a', 3)).toEqual({ kind: 'taken' });
        expect(await take('carol', 'ip:a', 4)).toEqual({ kind: 'refused', scope: 'client', freesAt: at(60) });
        expect(await take('carol', 'ip:b', 5)).toEqual({ kind: 'taken' });
        expect(await take('dave', 'ip:c', 6)).toEqual({ kind: 'refused', scope: 'global', freesAt: at(60) });
      });

      it('applies no per-client limit without a client, and counts such slots only per subject and in total', async () => {
        for (let i = 0; i < 4; i += 1) expect(await take(`visitor-${i}`, null, i)).toEqual({ kind: 'taken' });
        expect(await take('late', null, 5)).toEqual({ kind: 'refused', scope: 'global', freesAt: at(60) });
        expect(await take('late', null, 5, { ...LIMITS, global: 10 })).toEqual({ kind: 'taken' });
        expect(await take('other', 'ip:a', 6, { ...LIMITS, global: 10 })).toEqual({ kind: 'taken' });
      });

      it('frees a place when the slot that makes the scope full leaves the window', async () => {
        await take('alice', 'ip:a', 0);
        await take('alice', 'ip:a', 10);
        // Limits lowered after the fact: two slots over a limit of one, the newer one must leave first.
        expect(await take('alice', 'ip:a', 20, { ...LIMITS, perSubject: 1 })).toEqual({
          kind: 'refused',
          scope: 'subject',
          freesAt: at(70),
        });
        expect(await take('alice', 'ip:a', 59)).toEqual({ kind: 'refused', scope: 'subject', freesAt: at(60) });
        // A slot taken exactly one window ago no longer counts.
        expect(await take('alice', 'ip:a', 60)).toEqual({ kind: 'taken' });
        expect(await take('alice', 'ip:a', 61)).toEqual({ kind: 'refused', scope: 'subject', freesAt: at(70) });
      });

      it('gives a released slot back at once, and ignores unknown ids', async () => {
        const id = randomUUID();
        await storage.sessionSlots.take({ id, subject: 'alice', client: 'ip:a', now: at(0), windowMs: HOUR, limits: LIMITS });
        await take('alice', 'ip:a', 1);
        expect((await take('alice', 'ip:a', 2)).kind).toBe('refused');
        await storage.sessionSlots.release(id);
        await storage.sessionSlots.release(randomUUID());
        expect(await take('alice', 'ip:a', 3)).toEqual({ kind: 'taken' });
      });

      it('refuses a refused request without storing it', async () => {
        await take('alice', 'ip:a', 0);
        await take('alice', 'ip:a', 1);
        for (let i = 0; i < 5; i += 1) await take('alice', 'ip:b', 2);
        // Had the refusals been stored, ip:b would be full.
        expect(await take('bob', 'ip:b', 3)).toEqual({ kind: 'taken' });
      });

      it('holds every limit exactly under concurrent takes', async () => {
        const limits = { perSubject: 3, perClient: 5, global: 7 };
        const decisions = await Promise.all([
          ...Array.from({ length: 10 }, () => take('alice', 'ip:x', 0, limits)),
          ...Array.from({ length: 10 }, (_, i) => take(`visitor-${i}`, 'ip:y', 0, limits)),
          ...Array.from({ length: 10 }, (_, i) => take(`user-${i}`, `ip:${i}`, 0, limits)),
        ]);
        const taken = (from: number, to: number) => decisions.slice(from, to).filter((d) => d.kind === 'taken').length;
        expect(taken(0, 30)).toBe(7);
        expect(taken(0, 10)).toBeLessThanOrEqual(3);
        expect(taken(10, 20)).toBeLessThanOrEqual(5);
      });
    });

    describe('passes', () => {
      it('stores every field and reads it back', async () => {
        const owner = await session();
        const bound = await pass({ sessionId: owner.id, environment: 'production' });
        const pooled = await pass();
        expect(await storage.passes.get(bound.id)).toEqual(bound);
        expect(await storage.passes.get(pooled.id)).toEqual(pooled);
        expect(await storage.passes.get('unknown')).toBeNull();
      });

      it('rejects a duplicate id and a pass bound to an unknown session', async () => {
        const existing = await pass();
        await expectStorageError(storage.passes.insert(aPass({ id: existing.id })));
        await expectStorageError(storage.passes.insert(aPass({ sessionId: randomUUID() })));
      });

      it('counts AVAILABLE passes of one kind that stay usable after a time', async () => {
        const owner = await session();
        await pass({ expiresAt: at(60) });
        await pass({ expiresAt: at(10), sessionId: owner.id });
        await pass({ expiresAt: at(5) }); // not usable after at(5)
        await pass({ expiresAt: at(60), state: 'RESERVED', reservedBy: randomUUID() });
        await pass({ expiresAt: at(60), claimType: 'other_claim' });
        await pass({ expiresAt: at(60), environment: 'production' });
        expect(await storage.passes.countAvailable(CLAIM_TYPE, 'sandbox', at(5))).toBe(2);
        expect(await storage.passes.countAvailable(CLAIM_TYPE, 'production', at(5))).toBe(1);
        expect(await storage.passes.countAvailable('unknown_claim', 'sandbox', at(5))).toBe(0);
      });

      it('expires AVAILABLE passes that are not usable after a time, and says how many', async () => {
        const early = await pass({ expiresAt: at(5) });
        const atLimit = await pass({ expiresAt: at(10) });
        const later = await pass({ expiresAt: at(11) });
        const reserved = await pass({ expiresAt: at(5), state: 'RESERVED', reservedBy: randomUUID() });
        expect(await storage.passes.expireUnusable(at(10))).toBe(2);
        expect((await storage.passes.get(early.id))?.state).toBe('EXPIRED');
        expect((await storage.passes.get(atLimit.id))?.state).toBe('EXPIRED');
        expect((await storage.passes.get(later.id))?.state).toBe('AVAILABLE');
        expect((await storage.passes.get(reserved.id))?.state).toBe('RESERVED');
        expect(await storage.passes.expireUnusable(at(10))).toBe(0);
      });

      it('unbinds AVAILABLE passes of claimed, expired and outlived sessions only', async () => {
        const claimed = await session({ state: 'claimed' });
        const expired = await session({ state: 'expired' });
        const outlived = await session({ createdAt: at(-40) });
        const open = await session();
        const fromClaimed = await pass({ sessionId: claimed.id });
        const fromExpired = await pass({ sessionId: expired.id });
        const fromOutlived = await pass({ sessionId: outlived.id });
        const stillWanted = await pass({ sessionId: open.id });
        const reserved = await pass({ sessionId: claimed.id, state: 'RESERVED', reservedBy: randomUUID() });
        expect(await storage.passes.unbindFinished(at(-30))).toBe(3);
        for (const unbound of [fromClaimed, fromExpired, fromOutlived]) {
          expect(await storage.passes.get(unbound.id)).toEqual({ ...unbound, sessionId: null });
        }
        expect((await storage.passes.get(stillWanted.id))?.sessionId).toBe(open.id);
        expect((await storage.passes.get(reserved.id))?.sessionId).toBe(claimed.id);
        expect(await storage.passes.unbindFinished(at(-30))).toBe(0);
      });

      it('adopts the unbound AVAILABLE pass of the kind expiring first, binding it to the session', async () => {
        const mine = await session();
        const other = await session();
        await pass({ expiresAt: at(5) }); // not usable after at(5)
        await pass({ expiresAt: at(20), sessionId: other.id }); // someone else's
        await pass({ expiresAt: at(20), claimType: 'other_claim' });
        await pass({ expiresAt: at(20), environment: 'production' });
        await pass({ expiresAt: at(20), state: 'RESERVED', reservedBy: randomUUID() });
        const later = await pass({ expiresAt: at(50) });
        const first = await pass({ expiresAt: at(30) });
        const input = { sessionId: mine.id, claimType: CLAIM_TYPE, environment: 'sandbox', usableAfter: at(5) } as const;
        expect(await storage.passes.adoptUnbound(input)).toEqual({ ...first, sessionId: mine.id });
        expect(await storage.passes.get(first.id)).toEqual({ ...first, sessionId: mine.id });
        expect(await storage.passes.adoptUnbound({ ...input, sessionId: other.id })).toEqual({ ...later, sessionId: other.id });
        expect(await storage.passes.adoptUnbound(input)).toBeNull();
      });

      it('adopts each pass for one session only when sessions race, and rejects an unknown session', async () => {
        const sessions = await Promise.all(Array.from({ length: 6 }, () => session()));
        const passes = await Promise.all(Array.from({ length: 3 }, () => pass()));
        const adopted = await Promise.all(
          sessions.map((owner) =>
            storage.passes.adoptUnbound({ sessionId: owner.id, claimType: CLAIM_TYPE, environment: 'sandbox', usableAfter: at(5) }),
          ),
        );
        const ids = adopted.filter((p) => p !== null).map((p) => p!.id);
        expect(ids.sort()).toEqual(passes.map((p) => p.id).sort());
        await pass();
        await expectStorageError(
          storage.passes.adoptUnbound({ sessionId: randomUUID(), claimType: CLAIM_TYPE, environment: 'sandbox', usableAfter: at(5) }),
        );
      });

      it('counts passes per state, every state present', async () => {
        expect(await inspect.passes.countByState()).toEqual({
          AVAILABLE: 0,
          RESERVED: 0,
          CONSUMED: 0,
          EXPIRED: 0,
          UNUSABLE: 0,
        });
        await pass();
        await pass();
        await pass({ state: 'CONSUMED', reservedBy: randomUUID() });
        await pass({ state: 'UNUSABLE', reservedBy: randomUUID() });
        expect(await inspect.passes.countByState()).toEqual({
          AVAILABLE: 2,
          RESERVED: 0,
          CONSUMED: 1,
          EXPIRED: 0,
          UNUSABLE: 1,
        });
      });
    });

    describe('redemptions.begin', () => {
      it('reserves a pass and commits a PENDING record holding the lease', async () => {
        const owner = await session();
        const available = await pass({ sessionId: owner.id });
        const input = beginInput(owner.id);
        const result = await storage.redemptions.begin(input);
        const expectedRecord: RedemptionRecord = {
          key: input.key,
          sessionId: owner.id,
          passId: available.id,
          state: 'PENDING',
          attempts: 0,
          leaseOwner: 'instance-a',
          leaseExpiresAt: input.leaseExpiresAt,
          responseSealed: null,
          failure: null,
          createdAt: input.now,
          updatedAt: input.now,
        };
        const expectedPass: PassRecord = { ...available, state: 'RESERVED', reservedBy: input.key };
        expect(result).toEqual({ kind: 'started', record: expectedRecord, pass: expectedPass });
        expect(await storage.redemptions.get(input.key)).toEqual(expectedRecord);
        expect(await storage.passes.get(available.id)).toEqual(expectedPass);
      });

      it('counts the first attempt on the new record when the caller sends it right away', async () => {
        const owner = await session();
        await pass();
        const input = beginInput(owner.id, { countsFirstAttempt: true });
        const result = await storage.redemptions.begin(input);
        expect(result.kind === 'started' && result.record.attempts).toBe(1);
        expect(await storage.redemptions.get(input.key)).toMatchObject({ attempts: 1, leaseOwner: 'instance-a' });
      });

      it('returns the PENDING redemption of the session and changes nothing', async () => {
        const first = await started();
        await pass({ sessionId: first.session.id });
        const second = beginInput(first.session.id, { leaseOwner: 'instance-b' });
        expect(await storage.redemptions.begin(second)).toEqual({ kind: 'existing', record: first.record });
        expect(await storage.redemptions.get(second.key)).toBeNull();
        expect((await inspect.passes.countByState()).RESERVED).toBe(1);
      });

      it('returns the SUCCEEDED redemption of the session and changes nothing', async () => {
        const first = await started();
        await storage.redemptions.succeed({
          key: first.record.key,
          responseSealed: 'sealed:response',
          passOutcome: 'consumed',
          claim: null,
          now: at(2),
        });
        await pass();
        const result = await storage.redemptions.begin(beginInput(first.session.id));
        expect(result.kind).toBe('existing');
        expect(result.kind === 'existing' && result.record).toMatchObject({ key: first.record.key, state: 'SUCCEEDED' });
        expect((await inspect.passes.countByState()).AVAILABLE).toBe(1);
      });

      it('starts anew after a FAILED_FINAL or UNKNOWN redemption', async () => {
        const first = await started();
        await storage.redemptions.fail({
          key: first.record.key,
          failure: 'http 401 token spent',
          passOutcome: 'unusable',
          now: at(2),
        });
        await pass();
        const second = await storage.redemptions.begin(beginInput(first.session.id));
        expect(second.kind).toBe('started');
        if (second.kind !== 'started') return;
        await storage.redemptions.markUnknown(second.record.key, 'replay window passed', at(70));
        await pass();
        expect((await storage.redemptions.begin(beginInput(first.session.id))).kind).toBe('started');
      });

      it('answers no-pass and changes nothing when no pass is usable', async () => {
        const owner = await session();
        const input = beginInput(owner.id);
        expect(await storage.redemptions.begin(input)).toEqual({ kind: 'no-pass' });
        expect(await storage.redemptions.get(input.key)).toBeNull();
        expect(await inspect.redemptions.findLive(owner.id)).toBeNull();
      });

      it('prefers a pass bound to the session over unbound ones expiring earlier', async () => {
        const owner = await session();
        await pass({ expiresAt: at(20) });
        const bound = await pass({ sessionId: owner.id, expiresAt: at(50) });
        const result = await storage.redemptions.begin(beginInput(owner.id));
        expect(result.kind === 'started' && result.pass.id).toBe(bound.id);
      });

      it('takes the unbound pass expiring first when none is bound to the session', async () => {
        const owner = await session();
        await pass({ expiresAt: at(50) });
        const soonest = await pass({ expiresAt: at(20) });
        await pass({ expiresAt: at(40) });
        const result = await storage.redemptions.begin(beginInput(owner.id));
        expect(result.kind === 'started' && result.pass.id).toBe(soonest.id);
      });

      it('skips passes that expire at or before usableAfter, even bound ones', async () => {
        const owner = await session();
        await pass({ sessionId: owner.id, expiresAt: at(5) });
        await pass({ expiresAt: at(4) });
        expect(await storage.redemptions.begin(beginInput(owner.id, { usableAfter: at(5) }))).toEqual({ kind: 'no-pass' });
        const usable = await pass({ expiresAt: at(6) });
        const result = await storage.redemptions.begin(beginInput(owner.id, { usableAfter: at(5) }));
        expect(result.kind === 'started' && result.pass.id).toBe(usable.id);
      });

      it('skips passes of another claim type or environment, and those bound to other sessions', async () => {
        const owner = await session();
        const other = await session();
        await pass({ claimType: 'other_claim' });
        await pass({ environment: 'production' });
        await pass({ sessionId: other.id });
        await pass({ state: 'EXPIRED' });
        expect(await storage.redemptions.begin(beginInput(owner.id))).toEqual({ kind: 'no-pass' });
        expect((await inspect.passes.countByState()).AVAILABLE).toBe(3);
      });

      it('rejects a redemption for an unknown session and keeps the pass', async () => {
        const available = await pass();
        await expectStorageError(storage.redemptions.begin(beginInput(randomUUID())));
        expect(await storage.passes.get(available.id)).toEqual(available);
      });

      it('lets exactly one of 20 racing begins for one session start; the others get its record', async () => {
        const owner = await session();
        for (let i = 0; i < 5; i += 1) await pass();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            storage.redemptions.begin(beginInput(owner.id, { leaseOwner: `instance-${i}` })),
          ),
        );
        const winners = results.filter((result) => result.kind === 'started');
        expect(winners).toHaveLength(1);
        const winner = winners[0];
        if (winner?.kind !== 'started') return;
        for (const result of results.filter((r) => r.kind !== 'started')) {
          expect(result).toEqual({ kind: 'existing', record: winner.record });
        }
        expect(await inspect.passes.countByState()).toMatchObject({ AVAILABLE: 4, RESERVED: 1 });
        expect(await inspect.redemptions.countByState()).toMatchObject({ PENDING: 1 });
      });

      it('reserves each pass at most once when more sessions race than there are passes', async () => {
        const owners = await Promise.all(Array.from({ length: 8 }, () => session()));
        for (let i = 0; i < 5; i += 1) await pass({ expiresAt: at(30 + i) });
        const results = await Promise.all(owners.map((owner) => storage.redemptions.begin(beginInput(owner.id))));
        const reserved = results.flatMap((result) => (result.kind === 'started' ? [result.pass.id] : []));
        expect(reserved).toHaveLength(5);
        expect(new Set(reserved).size).toBe(5);
        expect(results.filter((result) => result.kind === 'no-pass')).toHaveLength(3);
        expect(await inspect.passes.countByState()).toMatchObject({ AVAILABLE: 0, RESERVED: 5 });
      });
    });

    describe('redemptions.get and findLive', () => {
      it('finds the live redemption of a session, and none once it failed or became UNKNOWN', async () => {
        const { session: owner, record } = await started();
        expect(await storage.redemptions.get(record.key)).toEqual(record);
        expect(await storage.redemptions.get(randomUUID())).toBeNull();
        expect(await inspect.redemptions.findLive(owner.id)).toEqual(record);
        expect(await inspect.redemptions.findLive(randomUUID())).toBeNull();
        await storage.redemptions.markUnknown(record.key, 'replay window passed', at(70));
        expect(await inspect.redemptions.findLive(owner.id)).toBeNull();
      });
    });

    describe('redemptions.acquireLease and releaseLease', () => {
      it('takes a free lease (expired, even exactly now) and counts an attempt', async () => {
        const { record } = await started();
        const leased = await storage.redemptions.acquireLease(record.key, 'instance-b', at(2), at(4));
        expect(leased).toEqual({ ...record, leaseOwner: 'instance-b', leaseExpiresAt: at(4), attempts: 1, updatedAt: at(2) });
        expect(await storage.redemptions.get(record.key)).toEqual(leased);
      });

      it('refuses a lease another owner still holds', async () => {
        const { record } = await started();
        expect(await storage.redemptions.acquireLease(record.key, 'instance-b', at(1.5), at(4))).toBeNull();
        expect(await storage.redemptions.get(record.key)).toEqual(record);
      });

      it('renews the lease its owner holds, counting one attempt each time', async () => {
        const { record } = await started();
        await storage.redemptions.acquireLease(record.key, 'instance-a', at(1.5), at(3));
        const renewed = await storage.redemptions.acquireLease(record.key, 'instance-a', at(1.6), at(5));
        expect(renewed).toMatchObject({ leaseOwner: 'instance-a', leaseExpiresAt: at(5), attempts: 2, updatedAt: at(1.6) });
      });

      it('answers null for a record that is not PENDING or does not exist', async () => {
        const { record } = await started();
        await storage.redemptions.fail({ key: record.key, failure: 'http 422', passOutcome: 'released', now: at(2) });
        expect(await storage.redemptions.acquireLease(record.key, 'instance-a', at(10), at(12))).toBeNull();
        expect(await storage.redemptions.acquireLease(randomUUID(), 'instance-a', at(10), at(12))).toBeNull();
      });

      it('releases the lease early only for its owner, so anyone may resume at once', async () => {
        const { record } = await started();
        await storage.redemptions.releaseLease(record.key, 'instance-b');
        expect(await storage.redemptions.get(record.key)).toEqual(record);
        await storage.redemptions.releaseLease(record.key, 'instance-a');
        expect(await storage.redemptions.get(record.key)).toMatchObject({ leaseOwner: null, leaseExpiresAt: null });
        expect(await storage.redemptions.acquireLease(record.key, 'instance-b', at(1.1), at(3))).toMatchObject({
          leaseOwner: 'instance-b',
          attempts: 1,
        });
      });
    });

    describe('redemptions.succeed', () => {
      it('stores the response, consumes the pass, claims the session and records the claim, once', async () => {
        const { session: owner, record, pass: reserved } = await started();
        const claim = aClaim(owner.id);
        const input = { key: record.key, responseSealed: 'sealed:response', passOutcome: 'consumed', claim, now: at(3) } as const;
        expect(await storage.redemptions.succeed(input)).toBe(true);
        expect(await storage.redemptions.get(record.key)).toEqual({
          ...record,
          state: 'SUCCEEDED',
          responseSealed: 'sealed:response',
          updatedAt: at(3),
        });
        expect(await storage.passes.get(reserved.id)).toEqual({ ...reserved, state: 'CONSUMED' });
        expect((await storage.sessions.get(owner.id))?.state).toBe('claimed');
        expect(await storage.claims.getBySession(owner.id)).toEqual(claim);

        expect(await storage.redemptions.succeed({ ...input, responseSealed: 'sealed:other', now: at(4) })).toBe(false);
        expect((await storage.redemptions.get(record.key))?.responseSealed).toBe('sealed:response');
      });

      it('deletes the private key of a session whose claim was read, and keeps it for a later read otherwise', async () => {
        const read = await started();
        const unread = await started();
        const finished = { responseSealed: 'sealed:response', passOutcome: 'consumed', now: at(3) } as const;
        await storage.redemptions.succeed({ ...finished, key: read.record.key, claim: aClaim(read.session.id) });
        await storage.redemptions.succeed({ ...finished, key: unread.record.key, claim: null });
        expect(await storage.sessions.get(read.session.id)).toEqual({ ...read.session, state: 'claimed', privateKeySealed: null });
        expect(await storage.sessions.get(unread.session.id)).toEqual({ ...unread.session, state: 'claimed' });
      });

      it('returns a pass Persona did not spend to the pool, unbound', async () => {
        const { record, pass: reserved } = await started();
        await storage.redemptions.succeed({
          key: record.key,
          responseSealed: 'sealed:response',
          passOutcome: 'released',
          claim: null,
          now: at(3),
        });
        expect(await storage.passes.get(reserved.id)).toEqual({
          ...reserved,
          state: 'AVAILABLE',
          sessionId: null,
          reservedBy: null,
        });
      });

      it('keeps the response without a claim when none could be read', async () => {
        const { session: owner, record } = await started();
        await storage.redemptions.succeed({
          key: record.key,
          responseSealed: 'sealed:response',
          passOutcome: 'consumed',
          claim: null,
          now: at(3),
        });
        expect(await storage.claims.getBySession(owner.id)).toBeNull();
        expect(await storage.redemptions.get(record.key)).toMatchObject({
          state: 'SUCCEEDED',
          responseSealed: 'sealed:response',
        });
      });

      it('does nothing for a record that already failed', async () => {
        const { session: owner, record, pass: reserved } = await started();
        await storage.redemptions.fail({ key: record.key, failure: 'http 400', passOutcome: 'unusable', now: at(2) });
        const late = { key: record.key, responseSealed: 'sealed:response', passOutcome: 'consumed', now: at(3) } as const;
        expect(await storage.redemptions.succeed({ ...late, claim: aClaim(owner.id) })).toBe(false);
        expect(await storage.claims.getBySession(owner.id)).toBeNull();
        expect((await storage.passes.get(reserved.id))?.state).toBe('UNUSABLE');
        expect((await storage.sessions.get(owner.id))?.state).toBe('open');
      });
    });

    describe('redemptions.fail', () => {
      const outcomes: Array<[PassOutcome, Partial<PassRecord>]> = [
        ['consumed', { state: 'CONSUMED' }],
        ['released', { state: 'AVAILABLE', sessionId: null, reservedBy: null }],
        ['unusable', { state: 'UNUSABLE' }],
      ];

      it.each(outcomes)('records FAILED_FINAL and applies the pass outcome %s', async (outcome, passChange) => {
        const { session: owner, record, pass: reserved } = await started();
        const input = { key: record.key, failure: 'http 422 invalid', passOutcome: outcome, now: at(3) };
        expect(await storage.redemptions.fail(input)).toBe(true);
        expect(await storage.redemptions.get(record.key)).toEqual({
          ...record,
          state: 'FAILED_FINAL',
          failure: 'http 422 invalid',
          updatedAt: at(3),
        });
        expect(await storage.passes.get(reserved.id)).toEqual({ ...reserved, ...passChange });
        expect((await storage.sessions.get(owner.id))?.state).toBe('open');
        expect(await storage.redemptions.fail({ ...input, failure: 'again' })).toBe(false);
      });

      it('sets the session state when asked to', async () => {
        const { session: owner, record } = await started();
        await storage.redemptions.fail({
          key: record.key,
          failure: 'http 404 relay gone',
          passOutcome: 'released',
          sessionState: 'expired',
          now: at(3),
        });
        expect((await storage.sessions.get(owner.id))?.state).toBe('expired');
      });

      it('does nothing for a record that already succeeded', async () => {
        const { session: owner, record, pass: reserved } = await started();
        await storage.redemptions.succeed({
          key: record.key,
          responseSealed: 'sealed:response',
          passOutcome: 'consumed',
          claim: null,
          now: at(2),
        });
        const late = { key: record.key, failure: 'late', passOutcome: 'released', sessionState: 'expired', now: at(3) } as const;
        expect(await storage.redemptions.fail(late)).toBe(false);
        expect(await storage.redemptions.get(record.key)).toMatchObject({ state: 'SUCCEEDED', failure: null });
        expect((await storage.passes.get(reserved.id))?.state).toBe('CONSUMED');
        expect((await storage.sessions.get(owner.id))?.state).toBe('claimed');
      });
    });

    describe('redemptions.markUnknown', () => {
      it('sets a PENDING record UNKNOWN and leaves its pass RESERVED', async () => {
        const { record, pass: reserved } = await started();
        expect(await storage.redemptions.markUnknown(record.key, 'replay window passed', at(70))).toBe(true);
        expect(await storage.redemptions.get(record.key)).toEqual({
          ...record,
          state: 'UNKNOWN',
          failure: 'replay window passed',
          updatedAt: at(70),
        });
        expect(await storage.passes.get(reserved.id)).toEqual(reserved);
        expect(await storage.redemptions.markUnknown(record.key, 'again', at(71))).toBe(false);
        expect(await storage.redemptions.markUnknown(randomUUID(), 'unknown key', at(71))).toBe(false);
      });
    });

    describe('redemptions.listResumable and countByState', () => {
      it('lists PENDING records whose lease ran out or was released, oldest first, up to the limit', async () => {
        const records: RedemptionRecord[] = [];
        for (const minute of [3, 1, 2, 4, 5]) {
          const owner = await session();
          await pass();
          const result = await storage.redemptions.begin(
            beginInput(owner.id, { now: at(minute), leaseExpiresAt: at(minute + 10) }),
          );
          if (result.kind !== 'started') throw new Error('expected a started redemption');
          records.push(result.record);
        }
        const [third, first, second, fourth, fifth] = records as [
          RedemptionRecord,
          RedemptionRecord,
          RedemptionRecord,
          RedemptionRecord,
          RedemptionRecord,
        ];
        // fourth: lease released; fifth: finished.
        await storage.redemptions.releaseLease(fourth.key, 'instance-a');
        await storage.redemptions.fail({ key: fifth.key, failure: 'x', passOutcome: 'released', now: at(6) });

        const now = at(12); // leases of first (11) and second (12) ran out; third (13) still held
        expect((await storage.redemptions.listResumable(now, 10)).map((r) => r.key)).toEqual([
          first.key,
          second.key,
          fourth.key,
        ]);
        expect(await storage.redemptions.listResumable(now, 2)).toEqual([first, second]);
        expect((await storage.redemptions.listResumable(at(20), 10)).map((r) => r.key)).toEqual([
          first.key,
          second.key,
          third.key,
          fourth.key,
        ]);
      });

      it('counts redemptions per state, every state present', async () => {
        expect(await inspect.redemptions.countByState()).toEqual({
          PENDING: 0,
          SUCCEEDED: 0,
          FAILED_FINAL: 0,
          UNKNOWN: 0,
        });
        const a = await started();
        await started();
        const c = await started();
        const d = await started();
        await storage.redemptions.succeed({
          key: a.record.key,
          responseSealed: 'r',
          passOutcome: 'consumed',
          claim: null,
          now: at(2),
        });
        await storage.redemptions.fail({ key: c.record.key, failure: 'x', passOutcome: 'released', now: at(2) });
        await storage.redemptions.markUnknown(d.record.key, 'y', at(2));
        expect(await inspect.redemptions.countByState()).toEqual({
          PENDING: 1,
          SUCCEEDED: 1,
          FAILED_FINAL: 1,
          UNKNOWN: 1,
        });
      });
    });

    describe('claims', () => {
      /** Runs a whole redemption that records `claim` for a new session of `subject`. */
      async function redeemed(subject: string, overrides: Partial<VerifiedClaimRecord>): Promise<VerifiedClaimRecord> {
        const owner = await session({ subject });
        await pass({ sessionId: owner.id });
        const result = await storage.redemptions.begin(beginInput(owner.id));
        if (result.kind !== 'started') throw new Error('expected a started redemption');
        const claim = aClaim(owner.id, { subject, ...overrides });
        await storage.redemptions.succeed({
          key: result.record.key,
          responseSealed: 'sealed:response',
          passOutcome: 'consumed',
          claim,
          now: at(3),
        });
        return claim;
      }

      it('reads a claim by session, methodology and Dates intact', async () => {
        const claim = await redeemed('alice', { methodology: null, result: 'failed' });
        expect(await storage.claims.getBySession(claim.sessionId)).toEqual(claim);
        expect(await storage.claims.getBySession(randomUUID())).toBeNull();
        const withSteps = await redeemed('alice', {});
        const read = await storage.claims.getBySession(withSteps.sessionId);
        expect(read).toEqual(withSteps);
        expect(read?.verifiedAt).toBeInstanceOf(Date);
      });

      it("lists a subject's claims, newest first, and no one else's", async () => {
        const older = await redeemed('alice', { verifiedAt: at(3) });
        const newer = await redeemed('alice', { verifiedAt: at(9), claimType: 'other_claim' });
        await redeemed('bob', {});
        expect(await storage.claims.listBySubject('alice')).toEqual([newer, older]);
        expect(await storage.claims.listBySubject('carol')).toEqual([]);
      });

      it('tells whether a subject holds a passed claim of a type', async () => {
        await redeemed('alice', { result: 'failed' });
        expect(await storage.claims.hasPassed('alice', CLAIM_TYPE)).toBe(false);
        await redeemed('alice', { result: 'passed', claimType: 'other_claim' });
        expect(await storage.claims.hasPassed('alice', CLAIM_TYPE)).toBe(false);
        await redeemed('alice', { result: 'passed' });
        expect(await storage.claims.hasPassed('alice', CLAIM_TYPE)).toBe(true);
        expect(await storage.claims.hasPassed('bob', CLAIM_TYPE)).toBe(false);
      });

      it("finds the subject's newest passed claim of a type, and nothing else", async () => {
        expect(await storage.claims.findPassed('alice', CLAIM_TYPE)).toBeNull();
        const older = await redeemed('alice', { verifiedAt: at(3) });
        await redeemed('alice', { verifiedAt: at(9), result: 'failed' });
        await redeemed('alice', { verifiedAt: at(9), claimType: 'other_claim' });
        await redeemed('bob', { verifiedAt: at(9) });
        expect(await storage.claims.findPassed('alice', CLAIM_TYPE)).toEqual(older);
        const tied = [await redeemed('alice', { verifiedAt: at(5) }), await redeemed('alice', { verifiedAt: at(5) })];
        const [firstBySessionId] = tied.sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
        expect(await storage.claims.findPassed('alice', CLAIM_TYPE)).toEqual(firstBySessionId);
        expect(await storage.claims.findPassed('carol', CLAIM_TYPE)).toBeNull();
      });
    });

    describe('claims.record', () => {
      it('stores a claim and replaces the one of the same session', async () => {
        const owner = await session({ subject: 'alice' });
        const claim = aClaim(owner.id, { subject: 'alice', result: 'failed', methodology: null });
        await storage.claims.record(claim);
        expect(await storage.claims.getBySession(owner.id)).toEqual(claim);
        const replaced = aClaim(owner.id, { subject: 'alice', verifiedAt: at(7) });
        await storage.claims.record(replaced);
        expect(await storage.claims.getBySession(owner.id)).toEqual(replaced);
        expect(await storage.claims.listBySubject('alice')).toEqual([replaced]);
        expect(await storage.claims.hasPassed('alice', CLAIM_TYPE)).toBe(true);
      });

      it('rejects a claim of an unknown session', async () => {
        await expectStorageError(storage.claims.record(aClaim(randomUUID())));
      });

      it('marks the session claimed and deletes its private key', async () => {
        const owner = await session();
        await storage.claims.record(aClaim(owner.id));
        expect(await storage.sessions.get(owner.id)).toEqual({ ...owner, state: 'claimed', privateKeySealed: null });
      });
    });

    describe('health', () => {
      it('answers ping', async () => {
        await expect(storage.ping()).resolves.toBeUndefined();
      });
    });
  });
}
