/**
 * The HTTP contract of the relay routes, as one suite
 * every adapter runs: same requests, same answers, over real HTTP, against
 * the emulator. Each adapter's test file calls {@link describeRelayContract}
 * with a starter for the contract app (see `support/contract-app.ts`).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../src/core/config/index.js';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { ContractApp, StartContractApp } from './support/contract-app.js';
import { GUARDED_CLAIM } from './support/contract-app.js';
import type { Answer } from './support/http-client.js';
import { cookiePair, HttpClient } from './support/http-client.js';
import type { ContractStore } from './support/stores.js';

const API_KEY = 'persona_production_test';
const OTHER_ALLOWED_CLAIM = 'age_over21_verified';
const SESSIONS_PER_SUBJECT = 3;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Requests whose answer may legitimately differ under one app, because its
 * framework answers them before the relay code runs. Every use is asserted
 * explicitly, with the reason at the call site.
 */
export type ContractDifference = 'malformedJson' | 'missingContentType' | 'emptyJsonBody';

/** An answer expected instead of the contract's: its status and (a matcher for) its body. */
export interface ExpectedAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface RelayContractOptions {
  readonly store: ContractStore;
  readonly differences?: Partial<Record<ContractDifference, ExpectedAnswer>>;
  /** Core options on top of the suite's (which run the defaults: per-relay payload keys, at-creation issuance). */
  readonly relayOptions?: Partial<RelayOptions>;
}

/**
 * Payload encryption is the core's business, invisible at the HTTP layer, and generating a key pair per
 * relay is most of a run's CPU. Test files use this for their in-memory runs and keep the default for
 * their PGlite runs, so every adapter still runs the default path once.
 */
export const WITHOUT_PAYLOAD_ENCRYPTION: Partial<RelayOptions> = { encryption: 'none' };

/** The JSON error body every relay error answer has: exactly `code` and `message`. */
function errorBody(code: string, message: unknown = expect.any(String)) {
  return { code, message };
}

/** Registers the contract suite for one app (adapter + storage). */
export function describeRelayContract(name: string, startApp: StartContractApp, options: RelayContractOptions): void {
  const encryption = options.relayOptions?.encryption ?? 'per-relay';
  describe(`relay HTTP contract · ${name} · ${options.store.name} · ${encryption} payload encryption`, () => {
    let emulator: RunningEmulator;
    let app: ContractApp;
    let http: HttpClient;

    beforeAll(async () => {
      emulator = await startEmulator({ apiKeys: [API_KEY] });
      const relayOptions: RelayOptions = {
        apiKey: API_KEY,
        apiUrl: emulator.url,
        claimType: GUARDED_CLAIM,
        allowedClaimTypes: [GUARDED_CLAIM, OTHER_ALLOWED_CLAIM],
        storageKey: randomBytes(32).toString('base64'),
        cookieSecret: randomBytes(32).toString('base64url'),
        issuanceJitterMs: 0,
        // A small key reserve, waited for patiently: the apps generate their keys fast (see fastTestKeyPairs).
        keyReserve: 2,
        keyWaitMs: 30_000,
        // A redemption before the widget completed is answered 403 by Persona; don't retry it.
        retry: { forbiddenRetryBudgetMs: 0 },
        // Every request of the suite comes from 127.0.0.1: only the per-subject limit is under test here.
        limits: { sessionsPerSubjectPerHour: SESSIONS_PER_SUBJECT, sessionsPerClientPerHour: 1_000 },
        ...options.relayOptions,
      };
      app = await startApp({ relayOptions, storage: await options.store.open() });
      http = new HttpClient(app.url);
    });

    afterAll(async () => {
      await app?.close();
      await emulator?.close();
    });

    // ---- helpers -------------------------------------------------------------------------------

    /** A new anonymous visitor's first session: the answer and the visitor's cookie. */
    async function newVisitorSession(claimType?: string): Promise<{ session: Record<string, string>; cookie: string }> {
      const created = await http.post('/relay/sessions', claimType ? { claimType } : {});
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.cookies).toHaveLength(1);
      return { session: created.body as Record<string, string>, cookie: cookiePair(created.cookies[0]!) };
    }

    async function completeWidget(accessToken: string, outcome: 'passed' | 'failed'): Promise<void> {
      const done = await fetch(`${emulator.url}/_emulator/widget/complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accessToken, outcome }),
      });
      expect(done.status).toBe(200);
    }

    async function passesRedeemed(): Promise<number> {
      const state = (await (await fetch(`${emulator.url}/_emulator/state`)).json()) as { passesRedeemed: number };
      return state.passesRedeemed;
    }

    /** A visitor holding a claim with `outcome`. */
    async function verifiedVisitor(outcome: 'passed' | 'failed'): Promise<{ sessionId: string; cookie: string }> {
      const { session, cookie } = await newVisitorSession();
      await completeWidget(session.accessToken!, outcome);
      const claimed = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
      expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
      return { sessionId: session.sessionId!, cookie };
    }

    /** Every relay answer is JSON and never cached (it carries access tokens and claims). */
    function expectRelayAnswer(answer: Answer, status: number, body: unknown): void {
      expect({ status: answer.status, body: answer.body }).toEqual({ status, body });
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }

    function expectDifferenceOr(answer: Answer, difference: ContractDifference, status: number, body: unknown): void {
      const expected = options.differences?.[difference];
      if (expected) expect({ status: answer.status, body: answer.body }).toEqual(expected);
      else expectRelayAnswer(answer, status, body);
    }

    // ---- sessions ------------------------------------------------------------------------------

    describe('POST /relay/sessions', () => {
      it('creates a session: 201 with exactly sessionId, accessToken, claimType, expiresAt', async () => {
        const created = await http.post('/relay/sessions', {});
        expectRelayAnswer(created, 201, {
          sessionId: expect.stringMatching(UUID_V4),
          accessToken: expect.any(String),
          claimType: GUARDED_CLAIM,
          expiresAt: expect.stringMatching(ISO_DATE),
        });
        const { expiresAt } = created.body as { expiresAt: string };
        expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now());
      });

      it('gives a new visitor an HttpOnly relay_sid cookie, and a returning visitor none', async () => {
        const first = await http.post('/relay/sessions', {});
        expect(first.status).toBe(201);
        expect(first.cookies).toHaveLength(1);
        expect(first.cookies[0]).toMatch(/^relay_sid=[^;]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/);

        const again = await http.post('/relay/sessions', {}, { cookie: cookiePair(first.cookies[0]!) });
        expect(again.status).toBe(201);
        expect(again.cookies).toEqual([]);
      });

      it('takes another allowed claim type, and refuses one that is not enabled', async () => {
        const other = await http.post('/relay/sessions', { claimType: OTHER_ALLOWED_CLAIM });
        expect(other.status).toBe(201);
        expect(other.body).toMatchObject({ claimType: OTHER_ALLOWED_CLAIM });

        const disabled = await http.post('/relay/sessions', { claimType: 'age_over65_verified' });
        expectRelayAnswer(disabled, 400, errorBody('ERR_RELAY_INVALID_REQUEST', 'This claim type is not enabled'));
      });

      it('rejects unknown body fields, malformed claim types and non-object bodies with 400', async () => {
        const unknown = await http.post('/relay/sessions', { claimType: GUARDED_CLAIM, extra: 1 });
        expectRelayAnswer(unknown, 400, errorBody('ERR_RELAY_INVALID_REQUEST', expect.stringContaining('extra')));
        const badType = await http.post('/relay/sessions', { claimType: 'Not A Claim' });
        expectRelayAnswer(badType, 400, errorBody('ERR_RELAY_INVALID_REQUEST', expect.stringContaining('claimType')));
        const array = await http.post('/relay/sessions', []);
        expectRelayAnswer(array, 400, errorBody('ERR_RELAY_INVALID_REQUEST'));
      });

      it('treats an empty application/json body as {}', async () => {
        const created = await http.post('/relay/sessions', '', { raw: true });
        expectDifferenceOr(created, 'emptyJsonBody', 201, expect.objectContaining({ claimType: GUARDED_CLAIM }));
      });

      it('answers 415 to a body that is not application/json (form posts cannot create billed sessions)', async () => {
        const unsupported = errorBody('ERR_RELAY_UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json');
        expectRelayAnswer(await http.post('/relay/sessions', '{}', { raw: true, contentType: 'text/plain' }), 415, unsupported);
        const form = await http.post('/relay/sessions', 'claimType=age_over18_verified', {
          raw: true,
          contentType: 'application/x-www-form-urlencoded',
        });
        expectRelayAnswer(form, 415, unsupported);
        const untyped = await http.post('/relay/sessions', '{}', { raw: true, contentType: null });
        expectDifferenceOr(untyped, 'missingContentType', 415, unsupported);
      });

      it('answers 400 to malformed JSON', async () => {
        const malformed = await http.post('/relay/sessions', '{"claimType":', { raw: true });
        expectDifferenceOr(malformed, 'malformedJson', 400, errorBody('ERR_RELAY_INVALID_REQUEST', 'The request body is not valid JSON'));
      });

      it('answers 413 to a body over 16 KiB', async () => {
        const oversized = await http.post('/relay/sessions', { claimType: 'a'.repeat(20 * 1024) });
        expectRelayAnswer(oversized, 413, errorBody('ERR_RELAY_PAYLOAD_TOO_LARGE'));
      });

      it(`limits each subject to ${SESSIONS_PER_SUBJECT} sessions per hour (each costs a billed pass): 429`, async () => {
        const user = `rate-${randomUUID()}`;
        for (let i = 0; i < SESSIONS_PER_SUBJECT; i += 1) {
          expect((await http.post('/relay/sessions', {}, { user })).status).toBe(201);
        }
        const limited = await http.post('/relay/sessions', {}, { user });
        expectRelayAnswer(limited, 429, errorBody('ERR_RELAY_RATE_LIMITED'));
        // The window frees this subject's oldest slot in about an hour.
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(3_500);
        expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(3_600);
      });
    });

    describe('GET /relay/sessions/:sessionId', () => {
      it('is pending until the claim is read, then claimed with the claim', async () => {
        const { session, cookie } = await newVisitorSession();
        const pending = await http.get(`/relay/sessions/${session.sessionId}`, { cookie });
        expectRelayAnswer(pending, 200, { sessionId: session.sessionId, claimType: GUARDED_CLAIM, state: 'pending' });

        await completeWidget(session.accessToken!, 'passed');
        expect((await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie })).status).toBe(200);

        const claimed = await http.get(`/relay/sessions/${session.sessionId}`, { cookie });
        expectRelayAnswer(claimed, 200, {
          sessionId: session.sessionId,
          claimType: GUARDED_CLAIM,
          state: 'claimed',
          claim: { result: 'passed', methodology: [], verifiedAt: expect.stringMatching(ISO_DATE) },
        });
      });

      it("answers 404 for another subject's session, and for a request without any subject", async () => {
        const { session } = await newVisitorSession();
        const stranger = await newVisitorSession();
        const notFound = errorBody('ERR_RELAY_SESSION_NOT_FOUND', 'No such session');
        expectRelayAnswer(await http.get(`/relay/sessions/${session.sessionId}`, { cookie: stranger.cookie }), 404, notFound);
        expectRelayAnswer(await http.get(`/relay/sessions/${session.sessionId}`), 404, notFound);
        expectRelayAnswer(await http.get(`/relay/sessions/${randomUUID()}`, { cookie: stranger.cookie }), 404, notFound);
      });

      it('answers 400 for an id that is not a lowercase UUIDv4', async () => {
        const { cookie } = await newVisitorSession();
        for (const id of ['not-a-uuid', randomUUID().toUpperCase(), `${randomUUID()}%20`]) {
          expectRelayAnswer(await http.get(`/relay/sessions/${id}`, { cookie }), 400, errorBody('ERR_RELAY_INVALID_REQUEST'));
        }
        // A broken percent-escape is a bad URL before it is a bad id: Fastify's router and Express's
        // parameter decoding (under Nest) answer 400 themselves, each with its own body.
        expect((await http.get('/relay/sessions/%E0%A4%A', { cookie })).status).toBe(400);
      });
    });

    // ---- claims --------------------------------------------------------------------------------

    describe('POST /relay/sessions/:sessionId/claim', () => {
      it('reads a passed claim once; a second call answers the same without another redemption', async () => {
        const { session, cookie } = await newVisitorSession();
        await completeWidget(session.accessToken!, 'passed');
        const before = await passesRedeemed();

        const first = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
        // The emulator's widget stand-in reports an empty methodology; it is passed on as given.
        expectRelayAnswer(first, 200, { sessionId: session.sessionId, claimType: GUARDED_CLAIM, result: 'passed', methodology: [] });
        const second = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
        expectRelayAnswer(second, 200, first.body);
        expect(await passesRedeemed()).toBe(before + 1);
      });

      it('answers concurrent claims of one session alike, with one redemption', async () => {
        const { session, cookie } = await newVisitorSession();
        await completeWidget(session.accessToken!, 'passed');
        const before = await passesRedeemed();
        const answers = await Promise.all([1, 2, 3].map(() => http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie })));
        for (const answer of answers) expectRelayAnswer(answer, 200, answers[0]!.body);
        expect(await passesRedeemed()).toBe(before + 1);
      });

      it('reads a failed claim as result "failed"', async () => {
        const { session, cookie } = await newVisitorSession();
        await completeWidget(session.accessToken!, 'failed');
        const claimed = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
        expectRelayAnswer(claimed, 200, { sessionId: session.sessionId, claimType: GUARDED_CLAIM, result: 'failed', methodology: [] });
      });

      it('answers 409 ERR_RELAY_CLAIM_NOT_READY before the widget completed, and redeems once it has', async () => {
        const { session, cookie } = await newVisitorSession();
        const before = await passesRedeemed();
        const early = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
        expectRelayAnswer(early, 409, errorBody('ERR_RELAY_CLAIM_NOT_READY'));

        await completeWidget(session.accessToken!, 'passed');
        const later = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie });
        expectRelayAnswer(later, 200, expect.objectContaining({ result: 'passed' }));
        expect(await passesRedeemed()).toBe(before + 1);
      });

      it("answers 404 for another subject's session, without redeeming it", async () => {
        const { session } = await newVisitorSession();
        await completeWidget(session.accessToken!, 'passed');
        const stranger = await newVisitorSession();
        const before = await passesRedeemed();
        const stolen = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie: stranger.cookie });
        expectRelayAnswer(stolen, 404, errorBody('ERR_RELAY_SESSION_NOT_FOUND', 'No such session'));
        expect(await passesRedeemed()).toBe(before);
      });

      it('answers 400 for a bad id or unknown body fields, 415 for a non-JSON body', async () => {
        const { session, cookie } = await newVisitorSession();
        expectRelayAnswer(await http.post('/relay/sessions/nope/claim', {}, { cookie }), 400, errorBody('ERR_RELAY_INVALID_REQUEST'));
        const unknown = await http.post(`/relay/sessions/${session.sessionId}/claim`, { force: true }, { cookie });
        expectRelayAnswer(unknown, 400, errorBody('ERR_RELAY_INVALID_REQUEST', expect.stringContaining('force')));
        const text = await http.post(`/relay/sessions/${session.sessionId}/claim`, '{}', { raw: true, contentType: 'text/plain', cookie });
        expectRelayAnswer(text, 415, errorBody('ERR_RELAY_UNSUPPORTED_MEDIA_TYPE'));
      });
    });

    describe('GET /relay/claims', () => {
      it('lists nothing for a new visitor, and the passed claim once read', async () => {
        expectRelayAnswer(await http.get('/relay/claims'), 200, []);
        const { cookie } = await verifiedVisitor('passed');
        const claims = await http.get('/relay/claims', { cookie });
        expectRelayAnswer(claims, 200, [{ claimType: GUARDED_CLAIM, result: 'passed', verifiedAt: expect.stringMatching(ISO_DATE) }]);
        expect(claims.cookies).toEqual([]);
      });

      it('lists a failed claim as failed', async () => {
        const { cookie } = await verifiedVisitor('failed');
        const claims = await http.get('/relay/claims', { cookie });
        expectRelayAnswer(claims, 200, [{ claimType: GUARDED_CLAIM, result: 'failed', verifiedAt: expect.stringMatching(ISO_DATE) }]);
      });
    });

    // ---- subjects ------------------------------------------------------------------------------

    describe('subjects', () => {
      it("uses req.user.id when the app's authentication set it: no cookie, the user's sessions and claims", async () => {
        const user = `user-${randomUUID()}`;
        const created = await http.post('/relay/sessions', {}, { user });
        expect(created.status).toBe(201);
        expect(created.cookies).toEqual([]);
        const session = created.body as Record<string, string>;
        await completeWidget(session.accessToken!, 'passed');

        const asVisitor = await newVisitorSession();
        const stolen = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie: asVisitor.cookie });
        expect(stolen.status).toBe(404);
        const otherUser = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { user: `${user}-other` });
        expect(otherUser.status).toBe(404);

        const claimed = await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { user });
        expectRelayAnswer(claimed, 200, expect.objectContaining({ result: 'passed' }));
        // The user wins over any visitor cookie the browser still sends.
        const claims = await http.get('/relay/claims', { user, cookie: asVisitor.cookie });
        expectRelayAnswer(claims, 200, [expect.objectContaining({ claimType: GUARDED_CLAIM, result: 'passed' })]);
        expect((await http.get('/restricted', { user })).status).toBe(200);
      });

      it('ignores a tampered visitor cookie: no claims, and a new visitor on session creation', async () => {
        const { cookie } = await verifiedVisitor('passed');
        const [name, value] = cookie.split('=') as [string, string];
        const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
        expectRelayAnswer(await http.get('/relay/claims', { cookie: tampered }), 200, []);
        const created = await http.post('/relay/sessions', {}, { cookie: tampered });
        expect(created.status).toBe(201);
        expect(created.cookies).toHaveLength(1);
        expect(cookiePair(created.cookies[0]!)).not.toBe(cookie);
      });
    });

    // ---- the guard ----------------------------------------------------------------------------

    describe('requireClaim guard', () => {
      const claimRequired = { code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: GUARDED_CLAIM, message: 'A verified claim is required' };

      it('answers 403 with the claim type until the subject holds a passed claim, then exposes the claim', async () => {
        const anonymous = await http.get('/restricted');
        expect({ status: anonymous.status, body: anonymous.body }).toEqual({ status: 403, body: claimRequired });

        const { session, cookie } = await newVisitorSession();
        const pending = await http.get('/restricted', { cookie });
        expect({ status: pending.status, body: pending.body }).toEqual({ status: 403, body: claimRequired });

        await completeWidget(session.accessToken!, 'passed');
        expect((await http.post(`/relay/sessions/${session.sessionId}/claim`, {}, { cookie })).status).toBe(200);
        const open = await http.get('/restricted', { cookie });
        expect({ status: open.status, body: open.body }).toEqual({
          status: 200,
          body: { ok: true, claim: { claimType: GUARDED_CLAIM, result: 'passed', verifiedAt: expect.stringMatching(ISO_DATE) } },
        });
      });

      it('keeps answering 403 to a subject whose claim failed', async () => {
        const { cookie } = await verifiedVisitor('failed');
        const denied = await http.get('/restricted', { cookie });
        expect({ status: denied.status, body: denied.body }).toEqual({ status: 403, body: claimRequired });
      });
    });

    // ---- routes that are not ours --------------------------------------------------------------

    describe('other paths', () => {
      it("passes the app's own routes below the prefix through, bodies unread", async () => {
        expect(await http.get('/relay/app-owned')).toMatchObject({ status: 200, body: { owner: 'app' } });
        const echo = await http.post('/relay/app-echo', { hello: 'world' });
        expect(echo).toMatchObject({ status: 200, body: { owner: 'app', body: { hello: 'world' } } });
      });

      it('leaves unknown paths and methods below the prefix to the app (its 404)', async () => {
        const id = randomUUID();
        const answers = [
          await http.get('/relay/nothing'),
          await http.get('/relay'),
          await http.get('/relay/sessions'),
          await http.post('/relay/claims', {}),
          await http.get(`/relay/sessions/${id}/claim`),
          await http.post(`/relay/sessions/${id}/other`, {}),
          await http.get('/relayx/sessions'),
        ];
        for (const answer of answers) {
          expect(answer.status).toBe(404);
          expect(JSON.stringify(answer.body)).not.toContain('ERR_RELAY');
        }
      });
    });
  });
}
