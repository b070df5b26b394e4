/**
 * The HTTP fuzz of the relay routes, as one suite every app runs (the
 * contract apps of `test/contract/support/apps`, against a healthy emulator):
 * fast-check-generated requests to every route and its near misses, sent raw
 * over TCP. Properties, for every request:
 *
 * - the server answers (or, for a request malformed at the HTTP level, closes
 *   the connection), and never with a 5xx: the emulator is healthy, so a 5xx
 *   means our code failed on the input;
 * - no response carries a relay token, a Privacy Pass, a key or the API key;
 * - a relay error body is exactly `{code, message}` (plus `claimType` for the
 *   guard), its message bounded, printable ASCII, and free of the request's
 *   values (ids, header values, body strings);
 *
 * and over the whole run: no unhandled rejection or uncaught exception, and
 * afterwards the server still creates, completes and redeems a session.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../../src/core/config/index.js';
import { createMemoryStorage } from '../../../src/core/storage/index.js';
import type { ContractApp, StartContractApp } from '../../contract/support/contract-app.js';
import { GUARDED_CLAIM, TEST_USER_HEADER } from '../../contract/support/contract-app.js';
import { PRODUCTION_API_KEY, TestEmulator } from '../../support/emulator.js';
import { httpCall } from '../../support/http.js';
import type { RawAnswer } from './raw-http.js';
import { headerOf, sendRaw } from './raw-http.js';
import type { FuzzRequest, FuzzWorld } from './requests.js';
import {
  deeplyNestedBody,
  describeRequest,
  fuzzRequest,
  longUserId,
  prototypeKeyBody,
  STANDARD_METHODS,
  unsafeUnknownKey,
} from './requests.js';

const OTHER_ALLOWED_CLAIM = 'age_over21_verified';
/** Longest relay error message accepted: the fixed texts are far below it. */
const MAX_MESSAGE_LENGTH = 200;
const RELAY_ERROR_KEYS = new Set(['code', 'message', 'claimType']);
const CREATED_KEYS = ['accessToken', 'claimType', 'expiresAt', 'sessionId'];

/** What no answer to the browser side may contain. */
const SECRET_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  ['relay token', /relay_[A-Za-z0-9]{27}/],
  ['Privacy Pass', /eyJ0b2tlbl9ub25jZSI6I/],
  ['PrivateToken header', /PrivateToken/],
  ['PEM key', /-----BEGIN/],
  ['API key', new RegExp(PRODUCTION_API_KEY)],
];

export interface HttpFuzzOptions {
  /** Requests in the main run (default 1000). */
  readonly runs?: number;
}

/** Registers the fuzz suite for one app. */
export function describeHttpFuzz(name: string, startApp: StartContractApp, options: HttpFuzzOptions = {}): void {
  const runs = Number(process.env.RELAY_FUZZ_RUNS ?? options.runs ?? 1000);

  describe(`HTTP fuzz · ${name}`, () => {
    let emulator: TestEmulator;
    let app: ContractApp;
    let port: number;
    let world: FuzzWorld;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => {
      unhandled.push(reason);
    };

    beforeAll(async () => {
      process.on('unhandledRejection', onUnhandled);
      process.on('uncaughtException', onUnhandled);
      emulator = await TestEmulator.start();
      const relayOptions: RelayOptions = {
        apiKey: PRODUCTION_API_KEY,
        apiUrl: emulator.url,
        claimType: GUARDED_CLAIM,
        allowedClaimTypes: [GUARDED_CLAIM, OTHER_ALLOWED_CLAIM],
        storageKey: randomBytes(32).toString('base64'),
        cookieSecret: randomBytes(32).toString('base64url'),
        // Payload encryption is invisible at the HTTP layer; per-relay key generation would only cost CPU here.
        encryption: 'none',
        blindRsaEngine: 'node-crypto',
        issuanceJitterMs: 0,
        // A claim before the widget completed is a 403 at Persona: answer it at once, don't retry for 10 s.
        retry: { forbiddenRetryBudgetMs: 0, baseDelayMs: 10, maxDelayMs: 50 },
        limits: { sessionsPerSubjectPerHour: 5, sessionsPerClientPerHour: 100_000, sessionsPerHour: 100_000 },
      };
      app = await startApp({ relayOptions, storage: createMemoryStorage() });
      port = Number(new URL(app.url).port);
      world = await seedWorld(app.url, emulator);
    });

    afterAll(async () => {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
      await app?.close();
      await emulator?.close();
    });

    it(`answers ${runs} fuzzed requests without a 5xx, a leak or an echo`, { timeout: 240_000 }, async () => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(fuzzRequest(world), async (request) => {
          const answer = await sendRaw(port, request);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          checkAnswer(request, answer);
        }),
        { numRuns: runs },
      );
      console.log(`HTTP fuzz · ${name}: ${runs} requests, answers by status ${JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)))}`);
      // Every kind of answer showed up: the run reached the routes, not only the framework's 404.
      for (const status of [200, 201, 400, 404, 415]) expect(statuses.get(status) ?? 0, `answers ${status}`).toBeGreaterThan(0);
      expect(unhandled).toEqual([]);
      // The emulator stayed healthy, so every answer above was our code's own.
      expect((await emulator.requests()).filter((entry) => entry.status >= 500)).toEqual([]);
    });

    it('answers fuzzed requests sent 16 at a time alike (concurrent claims, creations and reads)', async () => {
      const requests = fc.sample(fuzzRequest(world), { numRuns: Math.max(64, Math.floor(runs / 4)) });
      for (let at = 0; at < requests.length; at += 16) {
        const batch = requests.slice(at, at + 16);
        const answers = await Promise.all(batch.map((request) => sendRaw(port, request)));
        batch.forEach((request, i) => {
          try {
            checkAnswer(request, answers[i]!);
          } catch (error) {
            throw new Error(`${describeRequest(request)}: ${(error as Error).message}`, { cause: error });
          }
        });
      }
      expect(unhandled).toEqual([]);
    });

    // Regression (found by this fuzz): plainToInstance used to walk the whole body recursively before
    // any check, so a few kilobytes of nested arrays overflowed the stack and answered 500.
    it('answers a body nested thousands of levels deep with 400, not 500', async () => {
      await fc.assert(
        fc.asyncProperty(deeplyNestedBody(), fc.constantFrom('sessions', 'claim'), async (body, route) => {
          const target = route === 'sessions' ? '/relay/sessions' : `/relay/sessions/${world.sessionIds[0]}/claim`;
          const answer = await sendRaw(port, { method: 'POST', target, headers: [['Content-Type', 'application/json'], ['Cookie', world.cookies[0]!]], body });
          expect(answer.status).toBe(400);
        }),
        { numRuns: 6 },
      );
    });

    // Regression (found by this fuzz): the 400 message used to quote unknown keys whole, up to the
    // 16 KiB body limit and with any characters, into the answer and into logs.
    it('bounds and sanitizes unknown body keys quoted in the 400 message', async () => {
      await fc.assert(
        fc.asyncProperty(unsafeUnknownKey(), fc.constantFrom('sessions', 'claim'), async (key, route) => {
          const target = route === 'sessions' ? '/relay/sessions' : `/relay/sessions/${world.sessionIds[0]}/claim`;
          const body = Buffer.from(JSON.stringify({ [key]: 1 }));
          const answer = await sendRaw(port, { method: 'POST', target, headers: [['Content-Type', 'application/json'], ['Cookie', world.cookies[0]!]], body });
          expect(answer.status).toBe(400);
          const json = JSON.parse(answer.body.toString('utf8')) as { message: string };
          expectSafeMessage(json.message);
        }),
        { numRuns: 12 },
      );
    });

    // Attack: `{"constructor":"x"}`, `toString`, `valueOf`, `hasOwnProperty` were answered 201: class-transformer
    // drops keys that shadow Object.prototype, so the unknown-field check never saw them.
    it('refuses every key that shadows Object.prototype with 400, like any unknown field', async () => {
      await fc.assert(
        fc.asyncProperty(prototypeKeyBody(), fc.constantFrom('sessions', 'claim'), async (body, route) => {
          const target = route === 'sessions' ? '/relay/sessions' : `/relay/sessions/${world.sessionIds[0]}/claim`;
          const answer = await sendRaw(port, { method: 'POST', target, headers: [['Content-Type', 'application/json'], ['Cookie', world.cookies[0]!]], body });
          expect(answer.status, body.toString('utf8')).toBe(400);
        }),
        { numRuns: 24 },
      );
    });

    // Attack: a `req.user.id` of 252 characters or more (OIDC `sub` may be 255) threw in the session service: 500.
    it('serves users whose ids are as long as identity providers make them, each as themselves', async () => {
      await fc.assert(
        fc.asyncProperty(longUserId(), async (user) => {
          const headers = { 'content-type': 'application/json', [TEST_USER_HEADER]: user };
          const created = await httpCall(`${app.url}/relay/sessions`, { method: 'POST', headers, body: '{}' });
          expect(created.status, created.text).toBe(201);
          const { sessionId } = created.json as { sessionId: string };
          expect((await httpCall(`${app.url}/relay/sessions/${sessionId}`, { headers })).status).toBe(200);
          // Another user sharing the first 256 characters is someone else.
          const other = { [TEST_USER_HEADER]: `${user}x` };
          expect((await httpCall(`${app.url}/relay/sessions/${sessionId}`, { headers: other })).status).toBe(404);
        }),
        { numRuns: 8 },
      );
    });

    // Attack (cookie tossing): with `relay_sid=X; relay_sid=V` the first cookie won, so a cookie planted by a sibling
    // subdomain under a longer path could collect the victim's passed claim.
    it('takes no visitor from a request that carries the visitor cookie twice', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...world.cookies), fc.constantFrom(...world.cookies), fc.boolean(), async (first, second, separateHeaders) => {
          const cookieHeaders: Array<[string, string]> = separateHeaders ? [['Cookie', first], ['Cookie', second]] : [['Cookie', `${first}; ${second}`]];
          const read = await sendRaw(port, { method: 'GET', target: '/relay/claims', headers: cookieHeaders });
          expect(read.status).toBe(200);
          expect(JSON.parse(read.body.toString('utf8'))).toEqual([]);
          const owned = await sendRaw(port, { method: 'GET', target: `/relay/sessions/${world.sessionIds[0]}`, headers: cookieHeaders });
          expect(owned.status).toBe(404);
          const created = await sendRaw(port, {
            method: 'POST',
            target: '/relay/sessions',
            headers: [['Content-Type', 'application/json'], ...cookieHeaders],
            body: Buffer.from('{}'),
          });
          // Creating makes a new visitor, neither of the two.
          expect(created.status).toBe(201);
          const fresh = headerOf(created, 'set-cookie')?.split(';', 1)[0];
          expect(fresh).toBeDefined();
          expect([first, second]).not.toContain(fresh);
        }),
        { numRuns: 10 },
      );
    });

    // Regression (found by this fuzz under Fastify, whose router matched an empty `:sessionId`).
    it('answers an empty session id (GET /relay/sessions/, POST /relay/sessions//claim) without a 5xx', async () => {
      for (const [method, target] of [['GET', '/relay/sessions/'], ['POST', '/relay/sessions//claim']] as const) {
        const answer = await sendRaw(port, { method, target, headers: [['Content-Type', 'application/json']], body: Buffer.from('{}') });
        expect(answer.status, `${method} ${target}`).toBeLessThan(500);
      }
    });

    it('still serves afterwards: a new visitor creates, completes and redeems a session', async () => {
      const created = await httpCall(`${app.url}/relay/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(created.status, created.text).toBe(201);
      const cookie = created.headers['set-cookie']![0]!.split(';')[0]!;
      const { sessionId, accessToken } = created.json as { sessionId: string; accessToken: string };
      await emulator.complete(accessToken, 'passed');
      const claimed = await httpCall(`${app.url}/relay/sessions/${sessionId}/claim`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: '{}',
      });
      expect({ status: claimed.status, body: claimed.json }).toMatchObject({ status: 200, body: { sessionId, result: 'passed' } });
      expect(unhandled).toEqual([]);
    });
  });
}

/** Sessions in every state, owned by cookie visitors and by a user, for the fuzz to aim at. */
async function seedWorld(base: string, emulator: TestEmulator): Promise<FuzzWorld> {
  const cookies: string[] = [];
  const sessions: Array<{ sessionId: string; accessToken: string; cookie?: string; user?: string }> = [];
  const create = async (headers: Record<string, string>) => {
    const created = await httpCall(`${base}/relay/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });
    if (created.status !== 201) throw new Error(`seeding: session creation answered ${created.status}: ${created.text}`);
    return { ...(created.json as { sessionId: string; accessToken: string }), setCookie: created.headers['set-cookie']?.[0]?.split(';')[0] };
  };
  for (let i = 0; i < 3; i += 1) {
    const session = await create({});
    cookies.push(session.setCookie!);
    sessions.push({ ...session, cookie: session.setCookie! });
  }
  sessions.push({ ...(await create({ cookie: cookies[0]! })), cookie: cookies[0]! });
  const users = ['fuzz-user-1', 'fuzz-user-2'];
  for (const user of users) sessions.push({ ...(await create({ [TEST_USER_HEADER]: user })), user });
  // passed, failed, pending, passed and already redeemed, passed, pending.
  await emulator.complete(sessions[0]!.accessToken, 'passed');
  await emulator.complete(sessions[1]!.accessToken, 'failed');
  await emulator.complete(sessions[3]!.accessToken, 'passed');
  await emulator.complete(sessions[4]!.accessToken, 'passed');
  const redeemed = await httpCall(`${base}/relay/sessions/${sessions[3]!.sessionId}/claim`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: cookies[0]! },
    body: '{}',
  });
  if (redeemed.status !== 200) throw new Error(`seeding: redemption answered ${redeemed.status}: ${redeemed.text}`);
  return {
    sessionIds: sessions.map((s) => s.sessionId),
    cookies,
    users,
    allowedClaimTypes: [GUARDED_CLAIM, OTHER_ALLOWED_CLAIM],
  };
}

function checkAnswer(request: FuzzRequest, answer: RawAnswer): void {
  expect(answer.hung, 'the server neither answered nor closed the connection').toBe(false);
  const unusualMethod = !(STANDARD_METHODS as readonly string[]).includes(request.method);
  if (answer.status === 0) {
    // Only a request broken at the HTTP level may be dropped without an answer.
    expect(request.malformedHttp || unusualMethod, 'a well-formed request got no answer').toBe(true);
    return;
  }
  expect(answer.status, answer.body.toString('utf8').slice(0, 300)).toBeLessThan(500);

  const text = answer.body.toString('utf8');
  for (const [what, pattern] of SECRET_PATTERNS) expect(pattern.test(text), `an answer carries a ${what}`).toBe(false);

  if (!/json/.test(headerOf(answer, 'content-type') ?? '') || text.length === 0) return;
  const json = JSON.parse(text) as unknown;
  if (answer.status === 201) {
    expect(Object.keys(json as object).sort()).toEqual(CREATED_KEYS);
    return;
  }
  if (!isRelayErrorBody(json)) return;
  for (const key of Object.keys(json)) expect(RELAY_ERROR_KEYS.has(key), `relay error body key ${key}`).toBe(true);
  expect(json.code).toMatch(/^ERR_RELAY_[A-Z_]+$/);
  if ('claimType' in json) expect({ code: json.code, claimType: json.claimType }).toEqual({ code: 'ERR_RELAY_CLAIM_REQUIRED', claimType: GUARDED_CLAIM });
  expectSafeMessage(json.message);
  for (const fragment of request.fragments) expect(json.message.includes(fragment), `the error message repeats the input ${JSON.stringify(fragment.slice(0, 80))}`).toBe(false);
}

function isRelayErrorBody(value: unknown): value is { code: string; message: string; claimType?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string' && (value as { code: string }).code.startsWith('ERR_RELAY');
}

/** A relay error message: a short sentence of printable ASCII. */
function expectSafeMessage(message: unknown): void {
  expect(typeof message).toBe('string');
  const text = message as string;
  expect(text.length, `message of ${text.length} characters`).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  expect(/^[\x20-\x7e]*$/.test(text), `message with characters that are not printable ASCII: ${JSON.stringify(text.slice(0, 80))}`).toBe(true);
}
