/**
 * Attacks through the relay's HTTP routes (the `node:http` adapter) with a
 * hostile Persona behind them: whatever Persona answers, the browser gets our
 * stable code and a generic message, never a 500 that a retry serves again,
 * and never Persona's title, error code or request id.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEST_USER_HEADER } from '../contract/support/contract-app.js';
import { TestEmulator } from '../support/emulator.js';
import { httpCall } from '../support/http.js';
import type { RelayApp } from './support/app.js';
import { startRelayApp } from './support/app.js';
import type { Interceptor, PersonaEndpoint } from './support/hostile-persona.js';
import { HostilePersona, jsonOf, okJson } from './support/hostile-persona.js';

let emulator: TestEmulator;
let hostile: HostilePersona;
let app: RelayApp;
let users = 0;

beforeAll(async () => {
  emulator = await TestEmulator.start();
  hostile = await HostilePersona.start(emulator.url);
  app = await startRelayApp({
    apiUrl: hostile.url,
    options: { encryption: 'none', retry: { maxRetries: 0 }, limits: { sessionsPerSubjectPerHour: 1_000, sessionsPerHour: 100_000 } },
  });
});

afterAll(async () => {
  await app?.close();
  await hostile?.close();
  await emulator?.close();
});

beforeEach(() => {
  hostile.reset();
});

function post(path: string, user: string) {
  return httpCall(`${app.url}/relay${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [TEST_USER_HEADER]: user }, body: '{}' });
}

/** A session of a new user, its pass issued honestly and its verification passed at the emulator. */
async function readySession(): Promise<{ user: string; sessionId: string }> {
  const user = `hostile-input-${(users += 1)}`;
  const created = await post('/sessions', user);
  expect(created.status, created.text).toBe(201);
  const { sessionId, accessToken } = created.json as { sessionId: string; accessToken: string };
  await app.relay.services.drain();
  await emulator.complete(accessToken, 'passed');
  return { user, sessionId };
}

/** Persona's claim answer with a plaintext claim payload of `payload`. */
function claimPayload(payload: string): Interceptor {
  return async (_request, forward) => {
    const upstream = await forward();
    return upstream.status === 200 ? okJson({ ...jsonOf(upstream), 'claim-payload': payload }) : upstream;
  };
}

describe('hostile input through the HTTP routes', () => {
  // Attack: a plaintext claim payload nested ~2000 deep overflowed the stack in validation; the claim route
  // answered 500 and kept answering it from the stored response on every retry.
  it.each([
    ['arrays in methodology', (depth: number) => `{"claim_type":"age_over18_verified","claim_result":"passed","methodology":${'['.repeat(depth)}${']'.repeat(depth)}}`],
    ['objects as claim_result', (depth: number) => `{"claim_type":"age_over18_verified","claim_result":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`],
  ])('answers a claim payload nested deep (%s) with 502 INVALID_CLAIM_PAYLOAD, also on retry', async (_shape, nested) => {
    for (const depth of [2_000, 20_000]) {
      const { user, sessionId } = await readySession();
      hostile.on('generate-claim', claimPayload(nested(depth)));
      const first = await post(`/sessions/${sessionId}/claim`, user);
      expect({ status: first.status, body: first.json }).toMatchObject({ status: 502, body: { code: 'ERR_RELAY_INVALID_CLAIM_PAYLOAD' } });
      const retried = await post(`/sessions/${sessionId}/claim`, user);
      expect({ status: retried.status, body: retried.json }).toMatchObject({ status: 502, body: { code: 'ERR_RELAY_INVALID_CLAIM_PAYLOAD' } });
    }
  });

  // Attack: a failed issuance showed the browser "Persona create-privacy-pass failed: 400 Bad Request (code) [req_…]",
  // the request id of the identified call made for this user's relay.
  it("never lets Persona's title, error code or request id reach the browser, whatever error status Persona answers", { timeout: 120_000 }, async () => {
    const endpoints: PersonaEndpoint[] = ['relays', 'privacy-passes', 'generate-claim'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...endpoints),
        fc.oneof(fc.integer({ min: 400, max: 499 }), fc.integer({ min: 500, max: 599 })),
        fc.stringMatching(/^[A-Za-z0-9]{27}$/),
        async (endpoint, status, idTail) => {
          hostile.reset();
          const requestId = `req_${idTail}`;
          const leaked = [requestId, 'Hostile Title Qz', 'hostile_code_qz'];
          const failing: Interceptor = async () => ({
            status,
            headers: { 'request-id': requestId },
            body: JSON.stringify({ errors: [{ title: leaked[1], code: leaked[2], details: `see ${requestId}` }] }),
          });
          let answer: Awaited<ReturnType<typeof post>>;
          if (endpoint === 'generate-claim') {
            const { user, sessionId } = await readySession();
            hostile.on(endpoint, failing);
            answer = await post(`/sessions/${sessionId}/claim`, user);
          } else {
            hostile.on(endpoint, failing);
            answer = await post('/sessions', `hostile-input-${(users += 1)}`);
            await app.relay.services.drain();
          }
          for (const secret of [...leaked, 'req_']) expect(answer.text, `${endpoint} ${status}`).not.toContain(secret);
          expect(answer.status).not.toBe(500);
        },
      ),
      { numRuns: 30 },
    );
  });
});
