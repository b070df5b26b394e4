/**
 * Abuse: every session costs a relay at Persona and a billed Privacy Pass,
 * so session creation is limited per subject and in total. Over real HTTP
 * (the `node:http` adapter and NestJS), against the emulator's counters:
 *
 * - after the configured count, 429 `ERR_RELAY_RATE_LIMITED`;
 * - no relay is created at Persona beyond the limit (`relays`), and no pass
 *   issued beyond it (`passesIssued`); the refused requests reach Persona not
 *   at all;
 * - dropping the cookie (a new visitor per request) meets the per-client limit
 *   (the client being the address, through trusted proxies only) and the total;
 * - every 429 says when to retry (`Retry-After`);
 * - hammering the claim route neither buys passes nor creates relays.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../src/core/config/index.js';
import { createMemoryStorage } from '../../src/core/storage/index.js';
import { expressApp } from '../contract/support/apps/express-app.js';
import { nestApp } from '../contract/support/apps/nest-app.js';
import { startNodeApp } from '../contract/support/apps/node-app.js';
import type { ContractApp, StartContractApp } from '../contract/support/contract-app.js';
import { GUARDED_CLAIM, TEST_USER_HEADER } from '../contract/support/contract-app.js';
import { PRODUCTION_API_KEY, RELAYS_PATH, PRIVACY_PASSES_PATH, TestEmulator } from '../support/emulator.js';
import type { TestResponse } from '../support/http.js';
import { httpCall } from '../support/http.js';
import { eventually, newStorageKey, TEST_COOKIE_SECRET } from '../support/relay.js';

const RATE_LIMITED = { code: 'ERR_RELAY_RATE_LIMITED', message: expect.any(String) };

function describeAbuse(name: string, startApp: StartContractApp): void {
  describe(`abuse · ${name}`, () => {
    let emulator: TestEmulator;
    let app: ContractApp | undefined;

    beforeAll(async () => {
      emulator = await TestEmulator.start();
    });
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });
    afterAll(async () => {
      await emulator?.close();
    });

    async function start(limits: RelayOptions['limits'], options: Pick<RelayOptions, 'trustProxy'> = {}): Promise<ContractApp> {
      await emulator.reset();
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
          limits,
          ...options,
        },
        storage: createMemoryStorage(),
      });
      return app;
    }

    const create = (headers: Record<string, string> = {}) =>
      httpCall(`${app!.url}/relay/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    /** A cookieless creation from `address`, as a trusted proxy on 127.0.0.1 reports it. */
    const createFrom = (address: string) => create({ 'x-forwarded-for': address });
    const retryAfterOf = (answer: TestResponse) => Number(answer.headers['retry-after']);
    const cookieOf = (answer: TestResponse) => answer.headers['set-cookie']![0]!.split(';')[0]!;

    /** Waits until every relay's at-creation issuance has run, then reads the counters. */
    async function settledCounters() {
      return eventually(
        async () => {
          const state = await emulator.state();
          return state.passesIssued === state.relays ? state : undefined;
        },
        10_000,
        'every relay to have its pass',
      );
    }

    async function personaCalls() {
      const log = await emulator.requests();
      return { relays: log.filter((e) => e.path === RELAYS_PATH).length, issuances: log.filter((e) => e.path === PRIVACY_PASSES_PATH).length };
    }

    it('limits each subject (visitor or user) to its count: 429 after it, and nothing created or billed beyond', async () => {
      await start({ sessionsPerSubjectPerHour: 3, sessionsPerHour: 100 });
      const first = await create();
      expect(first.status).toBe(201);
      const visitor = { cookie: cookieOf(first) };
      const user = { [TEST_USER_HEADER]: `user-${randomUUID()}` };
      for (let i = 0; i < 2; i += 1) expect((await create(visitor)).status).toBe(201);
      for (let i = 0; i < 3; i += 1) expect((await create(user)).status).toBe(201);
      for (const who of [visitor, user, visitor, user]) {
        const refused = await create(who);
        expect({ status: refused.status, body: refused.json }).toEqual({ status: 429, body: RATE_LIMITED });
      }
      // Another subject is not affected.
      expect((await create()).status).toBe(201);
      expect(await settledCounters()).toMatchObject({ relays: 7, passesIssued: 7 });
      expect(await personaCalls()).toEqual({ relays: 7, issuances: 7 });
    });

    it('limits the total, whoever asks (a new visitor per request, users): 429 after it, nothing created or billed beyond', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerHour: 5 });
      for (let i = 0; i < 5; i += 1) expect((await create()).status).toBe(201);
      for (const who of [{}, {}, { [TEST_USER_HEADER]: `user-${randomUUID()}` }] as Array<Record<string, string>>) {
        const refused = await create(who);
        expect({ status: refused.status, body: refused.json }).toEqual({ status: 429, body: RATE_LIMITED });
      }
      expect(await settledCounters()).toMatchObject({ relays: 5, passesIssued: 5 });
      expect(await personaCalls()).toEqual({ relays: 5, issuances: 5 });
    });

    it('does not buy passes or create relays when the claim route is hammered (early claims, foreign and unknown ids)', async () => {
      await start({ sessionsPerSubjectPerHour: 3, sessionsPerHour: 100 });
      const created = await create();
      const visitor = { cookie: cookieOf(created) };
      const { sessionId } = created.json as { sessionId: string };
      const stranger = { cookie: cookieOf(await create()) };
      await settledCounters();
      const claim = (id: string, who: Record<string, string>) =>
        httpCall(`${app!.url}/relay/sessions/${id}/claim`, { method: 'POST', headers: { 'content-type': 'application/json', ...who }, body: '{}' });
      for (let i = 0; i < 10; i += 1) {
        expect((await claim(sessionId, visitor)).status).toBe(409); // not verified yet
        expect((await claim(sessionId, stranger)).status).toBe(404);
        expect((await claim(randomUUID(), visitor)).status).toBe(404);
      }
      expect(await emulator.state()).toMatchObject({ relays: 2, passesIssued: 2, passesRedeemed: 0 });
      // Every early claim presented the session's one pass (Persona's 403 does not spend it).
      const presented = new Set((await emulator.requests()).filter((e) => e.headers.authorization?.startsWith('PrivateToken')).map((e) => e.headers.authorization));
      expect(presented.size).toBe(1);
    });

    // A session is stored only after Persona created its relay, so parallel requests must count the
    // creations still in flight, or all of them would pass the check (each a relay and a billed pass).
    it('enforces the per-subject limit on concurrent requests: exactly the limit succeeds', async () => {
      await start({ sessionsPerSubjectPerHour: 3, sessionsPerHour: 100 });
      const visitor = { cookie: cookieOf(await create()) };
      // Persona takes its usual few hundred milliseconds to create a relay: the window of the race.
      await emulator.fault({ endpoint: 'relays', mode: 'delay', delayMs: 300, times: 12 });
      const answers = await Promise.all(Array.from({ length: 12 }, () => create(visitor)));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(2);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
      expect(await settledCounters()).toMatchObject({ relays: 3, passesIssued: 3 });
    });

    it('limits each client address: cookieless requests from one address stop at its limit, other addresses still get 201', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerClientPerHour: 3, sessionsPerHour: 100 }, { trustProxy: ['loopback'] });
      for (let i = 0; i < 3; i += 1) expect((await createFrom('203.0.113.7')).status).toBe(201);
      // The same client written as IPv4-mapped IPv6, or reached through one more trusted hop.
      for (const address of ['203.0.113.7', '::ffff:203.0.113.7', '203.0.113.7, 127.0.0.1']) {
        const refused = await createFrom(address);
        expect({ status: refused.status, body: refused.json }).toEqual({ status: 429, body: RATE_LIMITED });
        expect(retryAfterOf(refused)).toBeGreaterThan(3_500);
        expect(retryAfterOf(refused)).toBeLessThanOrEqual(3_600);
      }
      // A user's sessions from that address count there too.
      const user = await create({ 'x-forwarded-for': '203.0.113.7', [TEST_USER_HEADER]: `user-${randomUUID()}` });
      expect(user.status).toBe(429);
      // Another client still gets its sessions.
      expect((await createFrom('198.51.100.9')).status).toBe(201);
      expect((await create()).status).toBe(201); // 127.0.0.1 itself, without a forwarded address
      expect(await settledCounters()).toMatchObject({ relays: 5, passesIssued: 5 });
      expect(await personaCalls()).toEqual({ relays: 5, issuances: 5 });
    });

    it('counts an IPv6 client by its /64, so rotating addresses inside it does not escape the limit', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerClientPerHour: 2, sessionsPerHour: 100 }, { trustProxy: 1 });
      expect((await createFrom('2001:db8:1:2::1')).status).toBe(201);
      expect((await createFrom('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).status).toBe(201);
      expect((await createFrom('2001:db8:1:2::ffff')).status).toBe(429);
      expect((await createFrom('2001:db8:1:3::1')).status).toBe(201);
      expect(await settledCounters()).toMatchObject({ relays: 3 });
    });

    it('ignores X-Forwarded-For unless trustProxy vouches for the peer: forged addresses do not escape the limit', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerClientPerHour: 3, sessionsPerHour: 100 });
      for (let i = 0; i < 3; i += 1) expect((await createFrom(`198.51.100.${i}`)).status).toBe(201);
      for (const forged of ['198.51.100.200', '203.0.113.1, 198.51.100.201', 'not-an-address']) {
        expect((await createFrom(forged)).status).toBe(429);
      }
      expect(await settledCounters()).toMatchObject({ relays: 3, passesIssued: 3 });
    });

    it('only believes the trusted hops: an address the client adds in front of the proxy\'s is not the client', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerClientPerHour: 2, sessionsPerHour: 100 }, { trustProxy: 1 });
      // One trusted hop: the proxy appended the client's real address last; what the client sent before it is ignored.
      for (let i = 0; i < 2; i += 1) expect((await createFrom(`10.0.0.${i}, 203.0.113.50`)).status).toBe(201);
      expect((await createFrom('10.0.0.9, 203.0.113.50')).status).toBe(429);
      expect((await createFrom('203.0.113.51')).status).toBe(201);
    });

    it('says when to retry on every 429: per subject, per client and in total', async () => {
      await start({ sessionsPerSubjectPerHour: 1, sessionsPerClientPerHour: 2, sessionsPerHour: 3 }, { trustProxy: ['loopback'] });
      const visitor = { cookie: cookieOf(await createFrom('203.0.113.1')) };
      const bySubject = await create({ ...visitor, 'x-forwarded-for': '203.0.113.2' });
      expect((await createFrom('203.0.113.1')).status).toBe(201);
      const byClient = await createFrom('203.0.113.1');
      expect((await createFrom('203.0.113.3')).status).toBe(201);
      const overall = await createFrom('203.0.113.4');
      for (const refused of [bySubject, byClient, overall]) {
        expect({ status: refused.status, body: refused.json }).toEqual({ status: 429, body: RATE_LIMITED });
        expect(retryAfterOf(refused)).toBeGreaterThan(3_500);
        expect(retryAfterOf(refused)).toBeLessThanOrEqual(3_600);
      }
    });

    // The per-client race: cookieless requests from one address, in parallel.
    it('enforces the per-client limit on concurrent cookieless requests: exactly the limit succeeds', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerClientPerHour: 4, sessionsPerHour: 100 }, { trustProxy: 1 });
      await emulator.fault({ endpoint: 'relays', mode: 'delay', delayMs: 300, times: 13 });
      const [answers, other] = await Promise.all([
        Promise.all(Array.from({ length: 12 }, () => createFrom('203.0.113.9'))),
        createFrom('198.51.100.9'),
      ]);
      expect(answers.filter((a) => a.status === 201)).toHaveLength(4);
      expect(other.status).toBe(201);
      expect(await settledCounters()).toMatchObject({ relays: 5, passesIssued: 5 });
    });

    // The same race on the total limit, with a new visitor per request.
    it('enforces the total limit on concurrent requests: exactly the limit succeeds', async () => {
      await start({ sessionsPerSubjectPerHour: 100, sessionsPerHour: 4 });
      await emulator.fault({ endpoint: 'relays', mode: 'delay', delayMs: 300, times: 12 });
      const answers = await Promise.all(Array.from({ length: 12 }, () => create()));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(4);
      expect(await settledCounters()).toMatchObject({ relays: 4, passesIssued: 4 });
    });
  });
}

describeAbuse('node:http', startNodeApp);
describeAbuse('Express (errors to the app\'s handler)', expressApp({ handleErrors: false }));
describeAbuse('NestJS on Express', nestApp('express'));
