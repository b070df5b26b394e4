/**
 * Abuse: every session costs a relay at Persona and a billed Privacy Pass,
 * so session creation is limited per subject and in total. Over real HTTP
 * (the `node:http` adapter and NestJS), against the emulator's counters:
 *
 * - after the configured count, 429 `ERR_RELAY_RATE_LIMITED`;
 * - no relay is created at Persona beyond the limit (`relays`), and no pass
 *   issued beyond it (`passesIssued`); the refused requests reach Persona not
 *   at all;
 * - dropping the cookie (a new visitor per request) only meets the total limit;
 * - hammering the claim route neither buys passes nor creates relays.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from '../../src/core/config/index.js';
import { createMemoryStorage } from '../../src/core/storage/index.js';
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

    async function start(limits: RelayOptions['limits']): Promise<ContractApp> {
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
        },
        storage: createMemoryStorage(),
      });
      return app;
    }

    const create = (headers: Record<string, string> = {}) =>
      httpCall(`${app!.url}/relay/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
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
describeAbuse('NestJS on Express', nestApp('express'));
