/** Shared values and a client factory for the Persona client tests. */
import { PersonaApi, type AttemptEvent, type PersonaApiOptions } from '../../../src/core/persona/index.js';
import type { TestServer } from './http-test-server.js';

/** Secrets: none of them may ever appear in an error. Distinctive, so a leak is found by substring. */
export const API_KEY = 'persona_sandbox_KEYc0ffee1234567890abcdef';
export const RELAY_TOKEN = 'relay_TOKENa1b2c3d4e5f6g7h8';
export const RELAY_SECRET = 'SECRET-6f1c2d9e-5b7a-4c3d-8e9f-0a1b2c3d4e5f';
export const PASS_TOKEN = 'eyJ0b2tlbl9ub25jZSI6IPASSTOKENsecret_-0123456789';
export const BLINDED_TOKEN = 'BLINDEDtokenSecret_-abcdefghijklmnopqrstuvwxyz';
export const ALL_SECRETS = [API_KEY, RELAY_TOKEN, RELAY_SECRET, PASS_TOKEN, BLINDED_TOKEN] as const;

export const IDEMPOTENCY_KEY = '3f2b9c1e-8d4a-4f6b-9a2c-1e5d7b8c9f0a';
export const REQUEST_ID = 'req_AbCdEfGhIjKlMnOpQrStUvWxYz1';

export const CREATE_RELAY_PATH = '/api/privacy/v1/relays';
export const CHALLENGE_PATH = '/api/privacy/v1/relays/challenge';
export const PRIVACY_PASSES_PATH = '/api/v1/privacy-passes';
export const GENERATE_CLAIM_PATH = `/api/privacy/v1/relays/${RELAY_TOKEN}/generate-claim`;

/** A client against `server` whose waits are recorded instead of slept. */
export interface TestClient {
  readonly api: PersonaApi;
  /** Every wait the retry loop asked for, in order. */
  readonly delays: number[];
  readonly events: AttemptEvent[];
}

/** `overrides.retry` is merged into the test default (a 2 s timeout), the rest replaces it. */
export function createTestClient(
  server: Pick<TestServer, 'baseUrl'>,
  overrides: Partial<PersonaApiOptions> = {},
): TestClient {
  const delays: number[] = [];
  const events: AttemptEvent[] = [];
  const api = new PersonaApi({
    baseUrl: server.baseUrl,
    apiKey: API_KEY,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    onAttempt: (event) => events.push(event),
    ...overrides,
    retry: { requestTimeoutMs: 2_000, ...overrides.retry },
  });
  return { api, delays, events };
}

/** The relay and pass of a redemption, for generate-claim calls. */
export const REDEMPTION = { relayToken: RELAY_TOKEN, relaySecret: RELAY_SECRET, token: PASS_TOKEN } as const;
export const RELAY = { relayToken: RELAY_TOKEN, relaySecret: RELAY_SECRET } as const;
export const BLINDED = { blindedToken: BLINDED_TOKEN, keyId: 'a'.repeat(64) } as const;
