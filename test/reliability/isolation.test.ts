/**
 * Isolation between subjects, over real HTTP, under every adapter: subject A
 * (an anonymous visitor, or a logged-in user) can never read, redeem or learn
 * anything about subject B's sessions.
 *
 * - B's session ids, in every state, answer A exactly like an id that does
 *   not exist: same status, same body, same headers (GET and POST claim);
 * - A's claim on B's session sends nothing to Persona and leaves B's
 *   redemption intact;
 * - A's claim list and A's guarded route never reflect B's claims;
 * - guessed ids (random, or B's with one character changed) never open
 *   anything;
 * - forged, tampered or borrowed cookies and user ids get a fresh visitor (or
 *   nobody), never B.
 */
import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../../src/core/storage/index.js';
import { expressApp } from '../contract/support/apps/express-app.js';
import { startFastifyApp } from '../contract/support/apps/fastify-app.js';
import { nestApp } from '../contract/support/apps/nest-app.js';
import { startNodeApp } from '../contract/support/apps/node-app.js';
import type { ContractApp, StartContractApp } from '../contract/support/contract-app.js';
import { GUARDED_CLAIM, TEST_USER_HEADER } from '../contract/support/contract-app.js';
import { PRODUCTION_API_KEY, TestEmulator } from '../support/emulator.js';
import type { TestResponse } from '../support/http.js';
import { httpCall } from '../support/http.js';
import { newStorageKey, TEST_COOKIE_SECRET } from '../support/relay.js';

const NOT_FOUND = { code: 'ERR_RELAY_SESSION_NOT_FOUND', message: 'No such session' };

/** Who sends a request: a cookie, a user id, both or neither. */
interface Credentials {
  readonly cookie?: string;
  readonly user?: string;
}

/** What an answer tells its reader: status, body and every header but the date. */
function observable(answer: TestResponse) {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !['date', 'keep-alive', 'connection'].includes(name)));
  return { status: answer.status, body: answer.text, headers };
}

function describeIsolation(name: string, startApp: StartContractApp): void {
  describe(`isolation · ${name}`, () => {
    let emulator: TestEmulator;
    let app: ContractApp;

    const headersOf = (who: Credentials, extra: Record<string, string> = {}) => ({
      ...(who.cookie ? { cookie: who.cookie } : {}),
      ...(who.user ? { [TEST_USER_HEADER]: who.user } : {}),
      ...extra,
    });
    const get = (path: string, who: Credentials) => httpCall(`${app.url}${path}`, { headers: headersOf(who) });
    const post = (path: string, who: Credentials, body = '{}') =>
      httpCall(`${app.url}${path}`, { method: 'POST', headers: headersOf(who, { 'content-type': 'application/json' }), body });

    /** Creates a session for `who` (a new visitor when `who` is empty) and returns it with the visitor's cookie. */
    async function createSession(who: Credentials) {
      const created = await post('/relay/sessions', who);
      expect(created.status, created.text).toBe(201);
      const cookie = created.headers['set-cookie']?.[0]?.split(';')[0] ?? who.cookie;
      return { ...(created.json as { sessionId: string; accessToken: string }), cookie };
    }

    async function redemptionsAtPersona(): Promise<number> {
      return (await emulator.requests()).filter((entry) => entry.path.endsWith('/generate-claim') && entry.headers.authorization).length;
    }

    // The world: visitors A and B, users U1 and U2; B and U2 hold sessions in every state.
    let a: Credentials;
    let b: Credentials;
    const u1: Credentials = { user: `u1-${randomUUID()}` };
    const u2: Credentials = { user: `u2-${randomUUID()}` };
    let bSessions: Record<'pending' | 'verified' | 'passed' | 'failed', string>;
    let u2Passed: string;

    beforeAll(async () => {
      emulator = await TestEmulator.start();
      app = await startApp({
        relayOptions: {
          apiKey: PRODUCTION_API_KEY,
          apiUrl: emulator.url,
          claimType: GUARDED_CLAIM,
          storageKey: newStorageKey(),
          cookieSecret: TEST_COOKIE_SECRET,
          encryption: 'none',
          issuanceJitterMs: 0,
          retry: { forbiddenRetryBudgetMs: 0 },
          limits: { sessionsPerSubjectPerHour: 1_000, sessionsPerClientPerHour: 1_000 },
        },
        storage: createMemoryStorage(),
      });
      a = { cookie: (await createSession({})).cookie };
      const first = await createSession({});
      b = { cookie: first.cookie };
      const verified = await createSession(b);
      const passed = await createSession(b);
      const failed = await createSession(b);
      bSessions = { pending: first.sessionId, verified: verified.sessionId, passed: passed.sessionId, failed: failed.sessionId };
      await emulator.complete(verified.accessToken, 'passed');
      await emulator.complete(passed.accessToken, 'passed');
      await emulator.complete(failed.accessToken, 'failed');
      expect((await post(`/relay/sessions/${passed.sessionId}/claim`, b)).status).toBe(200);
      expect((await post(`/relay/sessions/${failed.sessionId}/claim`, b)).status).toBe(200);
      const u2Session = await createSession(u2);
      await emulator.complete(u2Session.accessToken, 'passed');
      expect((await post(`/relay/sessions/${u2Session.sessionId}/claim`, u2)).status).toBe(200);
      u2Passed = u2Session.sessionId;
    });

    afterAll(async () => {
      await app?.close();
      await emulator?.close();
    });

    /** Every id A must not reach, and every way A can ask. */
    const foreignIds = () => [...Object.values(bSessions), u2Passed];
    const strangers = (): Array<[string, Credentials]> => [
      ['visitor A', a],
      ['user U1', u1],
      ['user U1 with B\'s cookie', { user: u1.user!, cookie: b.cookie! }],
      ['nobody', {}],
    ];

    it("answers B's sessions to A exactly as an id that does not exist (GET)", async () => {
      for (const [who, creds] of strangers()) {
        for (const id of foreignIds()) {
          // U1 carrying B's cookie is U1: the user wins over the cookie. Except for that, every answer is the 404.
          const foreign = await get(`/relay/sessions/${id}`, creds);
          const unknown = await get(`/relay/sessions/${randomUUID()}`, creds);
          expect(observable(foreign), `${who} → ${id}`).toEqual(observable(unknown));
          expect({ status: foreign.status, body: foreign.json }).toEqual({ status: 404, body: NOT_FOUND });
        }
      }
    });

    it("answers A's claim on B's sessions exactly as on an id that does not exist, and redeems nothing", async () => {
      const before = await redemptionsAtPersona();
      const spentBefore = (await emulator.state()).passesRedeemed;
      for (const [who, creds] of strangers()) {
        for (const id of foreignIds()) {
          const foreign = await post(`/relay/sessions/${id}/claim`, creds);
          const unknown = await post(`/relay/sessions/${randomUUID()}/claim`, creds);
          expect(observable(foreign), `${who} → ${id}`).toEqual(observable(unknown));
          expect({ status: foreign.status, body: foreign.json }).toEqual({ status: 404, body: NOT_FOUND });
        }
      }
      expect(await redemptionsAtPersona()).toBe(before);
      expect((await emulator.state()).passesRedeemed).toBe(spentBefore);
    });

    it("leaves B's verified session to B: A's attempts did not touch it", async () => {
      const claimed = await post(`/relay/sessions/${bSessions.verified}/claim`, b);
      expect({ status: claimed.status, body: claimed.json }).toMatchObject({ status: 200, body: { sessionId: bSessions.verified, result: 'passed' } });
      // …and once B read it, it still answers A like a stranger's.
      const foreign = await get(`/relay/sessions/${bSessions.verified}`, a);
      expect(observable(foreign)).toEqual(observable(await get(`/relay/sessions/${randomUUID()}`, a)));
    });

    it("never shows B's claims in A's list, nor opens A's guarded route with them", async () => {
      expect((await get('/relay/claims', b)).json).toEqual(
        expect.arrayContaining([expect.objectContaining({ result: 'passed' }), expect.objectContaining({ result: 'failed' })]),
      );
      for (const [who, creds] of strangers()) {
        const claims = await get('/relay/claims', creds);
        expect({ status: claims.status, body: claims.json }, who).toEqual({ status: 200, body: [] });
        expect((await get('/restricted', creds)).status, who).toBe(403);
      }
    });

    it('never opens anything for guessed ids: random UUIDs, or B\'s ids with one character changed', async () => {
      const bIds = foreignIds();
      const guess = fc.oneof(
        fc.uuid({ version: 4 }),
        fc.tuple(fc.constantFrom(...bIds), fc.nat(35), fc.constantFrom(...'0123456789abcdef')).map(([id, at, c]) => `${id.slice(0, at)}${c}${id.slice(at + 1)}`),
        fc.constantFrom(...bIds).map((id) => id.toUpperCase()),
        fc.constantFrom(...bIds).map((id) => id.replace(/-/g, '')),
      );
      await fc.assert(
        fc.asyncProperty(guess, fc.constantFrom(...strangers()), fc.boolean(), async (id, [, creds], claim) => {
          const answer = claim ? await post(`/relay/sessions/${id}/claim`, creds) : await get(`/relay/sessions/${id}`, creds);
          // A malformed id is a 400; a well-formed one, B's included, is the stranger's 404.
          expect([400, 404], id).toContain(answer.status);
          if (answer.status === 404 || bIds.includes(id)) expect({ status: answer.status, body: answer.json }, id).toEqual({ status: 404, body: NOT_FOUND });
        }),
        { numRuns: 120 },
      );
    });

    it('gives forged, tampered and borrowed credentials a fresh visitor (or nobody), never B', async () => {
      const [name, value] = b.cookie!.split('=') as [string, string];
      const [bVisitor, bSignature] = value.split('.') as [string, string];
      const aSignature = a.cookie!.split('.')[1]!;
      const flip = (text: string, at: number) => `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
      const otherSecretSignature = createHmac('sha256', 'another secret of at least thirty-two characters').update(`relay-subject:${bVisitor}`).digest('base64url');
      const forged: Array<[string, Credentials]> = [
        ['signature with one character changed', { cookie: `${name}=${bVisitor}.${flip(bSignature, 5)}` }],
        ['signature cut short', { cookie: `${name}=${bVisitor}.${bSignature.slice(0, -1)}` }],
        ['signature with a character added', { cookie: `${name}=${bVisitor}.${bSignature}A` }],
        ["B's visitor id with A's signature", { cookie: `${name}=${bVisitor}.${aSignature}` }],
        ["B's visitor id signed with another secret", { cookie: `${name}=${bVisitor}.${otherSecretSignature}` }],
        ["B's visitor id without a signature", { cookie: `${name}=${bVisitor}` }],
        ["B's visitor id with an empty signature", { cookie: `${name}=${bVisitor}.` }],
        ["B's visitor id upper-cased", { cookie: `${name}=${bVisitor.toUpperCase()}.${bSignature}` }],
        ["B's cookie under another name", { cookie: `RELAY_SID=${value}` }],
        ["B's cookie after a tampered one of the same name", { cookie: `${name}=${bVisitor}.${flip(bSignature, 0)}; ${name}=${value}` }],
        ["B's visitor id as a user id", { user: bVisitor }],
        ["B's subject as a user id", { user: `visitor:${bVisitor}` }],
      ];
      for (const [what, creds] of forged) {
        const claims = await get('/relay/claims', creds);
        expect({ status: claims.status, body: claims.json }, what).toEqual({ status: 200, body: [] });
        for (const id of Object.values(bSessions)) {
          const foreign = await get(`/relay/sessions/${id}`, creds);
          expect(observable(foreign), `${what} → ${id}`).toEqual(observable(await get(`/relay/sessions/${randomUUID()}`, creds)));
        }
        // Creating a session with it makes a new visitor (a cookie that is not B's), or uses the user id.
        const created = await post('/relay/sessions', creds);
        expect(created.status, what).toBe(201);
        const setCookie = created.headers['set-cookie']?.[0]?.split(';')[0];
        if (creds.user) {
          expect(setCookie, what).toBeUndefined();
        } else {
          expect(setCookie, what).toBeDefined();
          expect(setCookie!.split('=')[1]!.split('.')[0], what).not.toBe(bVisitor);
          expect((await get('/relay/claims', { cookie: setCookie! })).json, what).toEqual([]);
        }
      }
    });
  });
}

describeIsolation('node:http', startNodeApp);
describeIsolation('Express 5', expressApp({ handleErrors: true }));
describeIsolation('Fastify 5', startFastifyApp);
describeIsolation('NestJS on Express', nestApp('express'));
describeIsolation('NestJS on Fastify', nestApp('fastify'));
