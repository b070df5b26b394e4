import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import { PersonaApiError, type PersonaApi } from '../../../src/core/persona/index.js';
import { startTestServer, type ScriptedResponse, type TestServer } from './http-test-server.js';
import {
  BLINDED,
  IDEMPOTENCY_KEY,
  REDEMPTION,
  createTestClient,
  type TestClient,
} from './fixtures.js';

let server: TestServer;
let client: TestClient;
let api: PersonaApi;

beforeEach(async () => {
  server = await startTestServer();
  client = createTestClient(server);
  api = client.api;
});

afterEach(async () => {
  api.close();
  await server.close();
});

const CLAIM_OK: ScriptedResponse = { status: 200, body: { 'claim-payload': 'p', 'token-consumed': true } };
const PASS_OK: ScriptedResponse = { status: 200, body: { 'blind-sig': 's' } };
const failure = (status: number, headers?: Record<string, string>): ScriptedResponse => ({
  status,
  ...(headers === undefined ? {} : { headers }),
  body: { errors: [{ title: 'failure', code: `status_${status}` }] },
});

const redeem = (signal?: AbortSignal) =>
  api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY, ...(signal ? { signal } : {}) });
const issue = () => api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY });

describe('ambiguous outcomes are retried with the same key and body', () => {
  it.each([500, 502, 503, 504, 507, 409, 429])('generate-claim after %i', async (status) => {
    server.script(failure(status), CLAIM_OK);
    await expect(redeem()).resolves.toMatchObject({ tokenConsumed: true });
    expect(server.requests).toHaveLength(2);
    const [first, second] = server.requests;
    expect(second!.headers['idempotency-key']).toBe(IDEMPOTENCY_KEY);
    expect(second!.headers.authorization).toBe(first!.headers.authorization);
    expect(second!.headers['persona-relay-secret']).toBe(first!.headers['persona-relay-secret']);
    expect(second!.body).toBe(first!.body);
  });

  it.each([500, 502, 503, 504, 409, 429])('create-privacy-pass after %i', async (status) => {
    server.script(failure(status), failure(status), PASS_OK);
    await expect(issue()).resolves.toEqual({ blindSig: 's' });
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((request) => request.headers['idempotency-key']))).toEqual(
      new Set([IDEMPOTENCY_KEY]),
    );
    expect(new Set(server.requests.map((request) => request.body)).size).toBe(1);
  });

  it('create-relay and request-challenge after a 503', async () => {
    server.script(
      failure(503),
      { status: 200, body: { 'relay-token': 'relay_a', 'relay-secret': 's', 'relay-session-access-token': 'j' } },
      failure(503),
      { status: 200, body: { challenge: 'c', 'token-key': 'k', 'token-key-id': 'i' } },
    );
    await api.createRelay({ claimType: 'x', encryptionKeyPem: null, sandbox: false });
    await api.requestChallenge({ claimType: 'x', sandbox: false });
    expect(server.requests).toHaveLength(4);
  });
});

describe('backoff', () => {
  it('waits min(5 s, 200 ms × 2^(n−1)) × U(0.5, 1) and gives up after maxRetries', async () => {
    server.setFallback(failure(503));
    const error = await redeem().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PersonaApiError);
    expect((error as PersonaApiError).status).toBe(503);
    expect(server.requests).toHaveLength(4); // 1 + 3 retries
    // random() = 0.5 → factor 0.75
    expect(client.delays).toEqual([150, 300, 600]);
    expect(client.events.map((event) => event.outcome)).toEqual(['retry', 'retry', 'retry', 'final']);
    expect(client.events.map((event) => event.attempt)).toEqual([1, 2, 3, 4]);
    expect(client.events[0]).toMatchObject({ operation: 'generate-claim', status: 503, delayMs: 150 });
  });

  it('caps the delay at maxDelayMs and honours maxRetries', async () => {
    const capped = createTestClient(server, { retry: { maxRetries: 5, maxDelayMs: 500 }, random: () => 0 });
    try {
      server.setFallback(failure(500));
      await expect(capped.api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })).rejects.toThrow(
        PersonaApiError,
      );
      expect(server.requests).toHaveLength(6);
      expect(capped.delays).toEqual([100, 200, 250, 250, 250]);
    } finally {
      capped.api.close();
    }
  });

  it('maxRetries: 0 makes a single attempt', async () => {
    const once = createTestClient(server, { retry: { maxRetries: 0 } });
    try {
      server.setFallback(failure(503));
      await expect(once.api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY })).rejects.toThrow(
        PersonaApiError,
      );
      expect(server.requests).toHaveLength(1);
      expect(once.delays).toEqual([]);
    } finally {
      once.api.close();
    }
  });
});

describe('429', () => {
  it('waits at least RateLimit-Reset seconds', async () => {
    server.script(failure(429, { 'ratelimit-reset': '7', 'ratelimit-remaining': '0' }), PASS_OK);
    await issue();
    expect(client.delays).toEqual([7_000]);
  });

  it('gives up at once on a RateLimit-Reset longer than rateLimitMaxWaitMs', async () => {
    server.script(failure(429, { 'ratelimit-reset': '3600' }), PASS_OK);
    await expect(issue()).rejects.toMatchObject({ status: 429, rateLimitResetSeconds: 3600 });
    expect(server.requests).toHaveLength(1);
    expect(client.delays).toEqual([]);
  });

  it('falls back to the backoff without the header', async () => {
    server.script(failure(429), PASS_OK);
    await issue();
    expect(client.delays).toEqual([150]);
  });

  it('keeps the backoff when it is longer than RateLimit-Reset', async () => {
    server.script(failure(429, { 'ratelimit-reset': '0' }), PASS_OK);
    await issue();
    expect(client.delays).toEqual([150]);
  });
});

describe('final outcomes', () => {
  it.each([400, 401, 404, 422, 501, 505])('%i is not retried', async (status) => {
    server.script(failure(status), failure(status));
    await expect(redeem()).rejects.toMatchObject({ status });
    await expect(issue()).rejects.toMatchObject({ status });
    expect(server.requests).toHaveLength(2);
    expect(client.delays).toEqual([]);
  });

  it('403 is final on create-privacy-pass', async () => {
    server.script(failure(403), PASS_OK);
    await expect(issue()).rejects.toMatchObject({ status: 403 });
    expect(server.requests).toHaveLength(1);
  });
});

describe('403 on generate-claim', () => {
  it('is retried while the budget lasts', async () => {
    server.script(failure(403), failure(403), CLAIM_OK);
    await expect(redeem()).resolves.toMatchObject({ claimPayload: 'p' });
    expect(server.requests).toHaveLength(3);
  });

  it('becomes final once more than forbiddenRetryBudgetMs have passed since the first attempt', async () => {
    let clock = 1_000_000;
    const timed = createTestClient(server, {
      retry: { maxRetries: 10 },
      now: () => clock,
      // Each wait moves the clock 6 s: attempts at 0 s, 6 s, 12 s.
      sleep: async () => {
        clock += 6_000;
      },
    });
    try {
      server.setFallback(failure(403));
      const error = await timed.api
        .generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ status: 403, operation: 'generate-claim' });
      expect(server.requests).toHaveLength(3);
      expect(timed.events.map((event) => event.outcome)).toEqual(['retry', 'retry', 'final']);
    } finally {
      timed.api.close();
    }
  });

  it('a non-403 ambiguous failure is still retried after the 403 budget', async () => {
    let clock = 0;
    const timed = createTestClient(server, {
      now: () => clock,
      sleep: async () => {
        clock += 20_000;
      },
    });
    try {
      server.script(failure(403), failure(503), CLAIM_OK);
      await expect(timed.api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })).resolves.toBeDefined();
      expect(server.requests).toHaveLength(3);
    } finally {
      timed.api.close();
    }
  });
});

describe('transport failures', () => {
  it('a destroyed connection is retried, then surfaces as PERSONA_TRANSPORT', async () => {
    server.script({ action: 'destroy' }, CLAIM_OK);
    await expect(redeem()).resolves.toMatchObject({ tokenConsumed: true });
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.headers['idempotency-key']).toBe(IDEMPOTENCY_KEY);

    server.setFallback({ action: 'destroy' });
    const error = await issue().catch((caught: unknown) => caught);
    expect(isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT)).toBe(true);
    expect(server.requests).toHaveLength(2 + 4);
    expect(client.events.at(-1)).toMatchObject({ outcome: 'final', errorCode: RelayErrorCode.PERSONA_TRANSPORT });
  });

  it('an unanswered attempt times out, is retried, then surfaces as PERSONA_TRANSPORT', async () => {
    const impatient = createTestClient(server, { retry: { requestTimeoutMs: 50, maxRetries: 2 } });
    try {
      server.setFallback({ action: 'hang' });
      const error = await impatient.api
        .generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })
        .catch((caught: unknown) => caught);
      expect(isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT)).toBe(true);
      expect((error as { context: Record<string, unknown> }).context).toMatchObject({
        operation: 'generate-claim',
        reason: 'TIMEOUT',
      });
      expect(server.requests).toHaveLength(3);
      expect(new Set(server.requests.map((request) => request.headers['idempotency-key']))).toEqual(
        new Set([IDEMPOTENCY_KEY]),
      );
    } finally {
      impatient.api.close();
    }
  });

  it('a refused connection is a PERSONA_TRANSPORT error', async () => {
    const address = server.baseUrl;
    await server.close();
    const offline = createTestClient({ baseUrl: address }, { retry: { maxRetries: 1 } });
    try {
      const error = await offline.api
        .requestChallenge({ claimType: 'x', sandbox: false })
        .catch((caught: unknown) => caught);
      expect(isRelayError(error, RelayErrorCode.PERSONA_TRANSPORT)).toBe(true);
      expect((error as { context: Record<string, unknown> }).context).toMatchObject({ reason: 'ECONNREFUSED' });
      expect(offline.delays).toHaveLength(1);
    } finally {
      offline.api.close();
      server = await startTestServer();
    }
  });
});

describe('cancellation', () => {
  it('an abort during a request ends the call with ABORTED', async () => {
    server.setFallback({ action: 'hang' });
    const controller = new AbortController();
    const pending = redeem(controller.signal).catch((caught: unknown) => caught);
    await expect.poll(() => server.requests.length).toBe(1);
    controller.abort();
    const error = await pending;
    expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
    expect(server.requests).toHaveLength(1);
    expect(client.events.at(-1)).toMatchObject({ outcome: 'aborted', attempt: 1 });
  });

  it('an abort during the wait between attempts ends the call with ABORTED, even if sleep ignores it', async () => {
    const controller = new AbortController();
    const stuck = createTestClient(server, {
      sleep: () => new Promise<void>(() => undefined),
      onAttempt: (event) => {
        if (event.outcome === 'retry') setTimeout(() => controller.abort(), 5);
      },
    });
    try {
      server.setFallback(failure(503));
      const error = await stuck.api
        .generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY, signal: controller.signal })
        .catch((caught: unknown) => caught);
      expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
      // The failure that led to the wait is kept as the cause.
      expect((error as Error).cause).toBeInstanceOf(PersonaApiError);
      expect(server.requests).toHaveLength(1);
    } finally {
      stuck.api.close();
    }
  });

  it('the default sleep is cut short by an abort', async () => {
    const controller = new AbortController();
    // No injected sleep: the real timer-based one, asked to wait a minute.
    const real = createTestClient(server, { retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 }, sleep: undefined });
    try {
      server.setFallback(failure(503));
      const pending = real.api
        .createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY, signal: controller.signal })
        .catch((caught: unknown) => caught);
      await expect.poll(() => server.requests.length).toBe(1);
      controller.abort();
      // Without the abort this would wait a minute and hit the test timeout.
      expect(isRelayError(await pending, RelayErrorCode.ABORTED)).toBe(true);
    } finally {
      real.api.close();
    }
  });

  it('close() stops the retries of a running call with ABORTED', async () => {
    const closing = createTestClient(server, {
      sleep: async () => {
        closing.api.close();
      },
    });
    server.setFallback(failure(503));
    const error = await closing.api
      .generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })
      .catch((caught: unknown) => caught);
    expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    const error = await redeem(AbortSignal.abort()).catch((caught: unknown) => caught);
    expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
    expect(server.requests).toHaveLength(0);
  });
});

describe('undecodable 2xx', () => {
  it('is retried as an ambiguous outcome', async () => {
    server.script({ status: 200, body: 'not json' }, CLAIM_OK);
    await expect(redeem()).resolves.toMatchObject({ tokenConsumed: true });
    expect(server.requests).toHaveLength(2);
    expect(client.events[0]).toMatchObject({
      outcome: 'retry',
      status: 200,
      errorCode: RelayErrorCode.PERSONA_PROTOCOL,
    });
  });
});

describe('onAttempt', () => {
  it('reports each attempt without secrets, and a throwing hook changes nothing', async () => {
    const events: unknown[] = [];
    const noisy = createTestClient(server, {
      onAttempt: (event) => {
        events.push(event);
        throw new Error('logger down');
      },
    });
    try {
      server.script(failure(502), CLAIM_OK);
      await expect(noisy.api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })).resolves.toBeDefined();
      expect(events).toEqual([
        {
          operation: 'generate-claim',
          attempt: 1,
          status: 502,
          outcome: 'retry',
          errorCode: RelayErrorCode.PERSONA_API,
          failure: 'ambiguous',
          delayMs: 150,
          durationMs: expect.any(Number),
        },
        { operation: 'generate-claim', attempt: 2, status: 200, outcome: 'success', durationMs: expect.any(Number) },
      ]);
    } finally {
      noisy.api.close();
    }
  });
});
