import util from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode, isRelayError } from '../../../src/core/errors.js';
import { PersonaApiError, type PersonaApi } from '../../../src/core/persona/index.js';
import { startTestServer, type ScriptedResponse, type TestServer } from './http-test-server.js';
import {
  ALL_SECRETS,
  API_KEY,
  BLINDED,
  BLINDED_TOKEN,
  IDEMPOTENCY_KEY,
  PASS_TOKEN,
  REDEMPTION,
  RELAY_SECRET,
  RELAY_TOKEN,
  REQUEST_ID,
  createTestClient,
} from './fixtures.js';

let server: TestServer;
let api: PersonaApi;

beforeEach(async () => {
  server = await startTestServer();
  api = createTestClient(server, { retry: { maxRetries: 1 } }).api;
});

afterEach(async () => {
  api.close();
  await server.close();
});

const redeem = (signal?: AbortSignal) =>
  api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY, ...(signal ? { signal } : {}) });
const issue = () => api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY });
const caught = (promise: Promise<unknown>) => promise.then(
  () => expect.fail('expected a rejection'),
  (error: unknown) => error,
);

describe('PersonaApiError from an error envelope', () => {
  it('carries status, title, details, code, meta, request id and operation', async () => {
    server.script({
      status: 401,
      headers: { 'request-id': REQUEST_ID },
      body: {
        errors: [
          {
            title: 'Unauthorized',
            details: 'The API key is invalid.',
            code: 'invalid_api_key',
            meta: { parameter: 'authorization' },
            source: { pointer: '/' },
          },
          { title: 'ignored second error' },
        ],
      },
    });
    const error = (await caught(issue())) as PersonaApiError;

    expect(error).toBeInstanceOf(PersonaApiError);
    expect(error).toBeInstanceOf(RelayError);
    expect(error.name).toBe('PersonaApiError');
    expect(error.code).toBe(RelayErrorCode.PERSONA_API);
    expect(error).toMatchObject({
      status: 401,
      title: 'Unauthorized',
      details: 'The API key is invalid.',
      personaCode: 'invalid_api_key',
      meta: { parameter: 'authorization' },
      requestId: REQUEST_ID,
      operation: 'create-privacy-pass',
    });
    expect(error.message).toBe(`Persona create-privacy-pass failed: 401 Unauthorized (invalid_api_key) [${REQUEST_ID}]`);
    expect(error.context).toEqual({
      operation: 'create-privacy-pass',
      status: 401,
      personaCode: 'invalid_api_key',
      requestId: REQUEST_ID,
    });
  });

  it('keeps RateLimit-Reset on a 429', async () => {
    server.setFallback({
      status: 429,
      headers: { 'ratelimit-reset': '12' },
      body: { errors: [{ title: 'Rate limited', code: 'rate_limited' }] },
    });
    const error = (await caught(issue())) as PersonaApiError;
    expect(error.rateLimitResetSeconds).toBe(12);
  });

  it('uses the reason phrase when the title is missing', async () => {
    server.script({ status: 404, body: { errors: [{ code: 'relay_not_found' }] } });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error.title).toBe('Not Found');
    expect(error.personaCode).toBe('relay_not_found');
    expect(error.details).toBeUndefined();
    expect(error.message).toBe('Persona generate-claim failed: 404 Not Found (relay_not_found)');
  });

  it('uses the reason phrase for an empty body', async () => {
    server.script({ status: 400 });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(error.details).toBeUndefined();
  });
});

describe('PersonaApiError from a body that is not an envelope', () => {
  it('puts the start of the text into details, flattened and truncated', async () => {
    const html = `<html>\r\n<body>\n${'Gateway trouble. '.repeat(40)}</body></html>`;
    server.script({ status: 422, headers: { 'content-type': 'text/html' }, body: html });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error.title).toBe('Unprocessable Entity');
    expect(error.details!.startsWith('<html> <body> Gateway trouble.')).toBe(true);
    expect(error.details!.length).toBeLessThanOrEqual(201);
    expect(error.details!.endsWith('…')).toBe(true);
    expect(error.details).not.toMatch(/[\r\n]/);
  });

  it('treats JSON without errors[0] the same way', async () => {
    server.script({ status: 400, body: { message: 'nope' } });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error).toMatchObject({ title: 'Bad Request', details: '{"message":"nope"}' });
  });
});

describe('no secret ever appears in an error', () => {
  /** Every way an error reaches a log. */
  function renderings(error: unknown): string[] {
    return [
      String(error),
      (error as Error).message,
      JSON.stringify(error),
      util.inspect(error),
      util.inspect(error, { depth: Infinity, showHidden: true }),
    ];
  }

  function expectNoSecrets(error: unknown): void {
    expect(error).toBeInstanceOf(Error);
    for (const text of renderings(error)) {
      for (const secret of ALL_SECRETS) expect(text).not.toContain(secret);
      expect(text).not.toContain(encodeURIComponent(RELAY_TOKEN));
      expect(text).not.toMatch(/axios/i);
    }
  }

  // Persona could only echo what the request carried, so each operation's echo holds its own secrets.
  const claimEcho =
    `echo: Authorization: Bearer ${API_KEY} PrivateToken token=${PASS_TOKEN} ` +
    `secret=${RELAY_SECRET} relay=${RELAY_TOKEN} path=/relays/${encodeURIComponent(RELAY_TOKEN)}/x`;
  const passEcho = `echo: key=${API_KEY} Authorization: Bearer ${API_KEY} blinded=${BLINDED_TOKEN}`;
  const claimEnvelope: ScriptedResponse = {
    status: 401,
    body: {
      errors: [
        {
          title: `Bad ${RELAY_SECRET}`,
          details: claimEcho,
          code: `code_${PASS_TOKEN}`,
          meta: { token: PASS_TOKEN, nested: { relay: RELAY_TOKEN, list: [RELAY_SECRET] } },
        },
      ],
    },
  };
  const passEnvelope: ScriptedResponse = {
    status: 401,
    body: {
      errors: [
        {
          title: `Bad ${BLINDED_TOKEN}`,
          details: passEcho,
          code: `code_${API_KEY}`,
          meta: { header: `Bearer ${API_KEY}`, nested: { list: [BLINDED_TOKEN] } },
        },
      ],
    },
  };

  it.each([
    ['an envelope echoing them', claimEnvelope],
    ['a text body echoing them', { status: 400, body: claimEcho }],
  ])('generate-claim, %s', async (_, response) => {
    server.script(response);
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error).toBeInstanceOf(PersonaApiError);
    expectNoSecrets(error);
  });

  it.each([
    ['an envelope echoing them', passEnvelope],
    ['a text body echoing them', { status: 422, body: passEcho }],
  ])('create-privacy-pass, %s', async (_, response) => {
    server.script(response);
    expectNoSecrets(await caught(issue()));
  });

  it('redacts before truncating, so no prefix of a secret survives the cut', async () => {
    server.script({ status: 400, body: `${'x'.repeat(195)}${RELAY_SECRET}` });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error.details).toBe(`${'x'.repeat(195)}[reda…`);
  });

  it('credential-shaped text is redacted even when it is not ours', async () => {
    server.script({
      status: 400,
      body: 'got persona_production_OTHERKEY123 and Bearer abc.def and PrivateToken token=xyz',
    });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error.details).toBe('got [redacted] and [redacted] and [redacted]');
  });

  it('redacts the echoed values but keeps the rest of the text', async () => {
    server.script({ status: 400, body: `relay ${RELAY_TOKEN} is odd` });
    const error = (await caught(redeem())) as PersonaApiError;
    expect(error.details).toBe('relay [redacted] is odd');
  });

  it('transport failures', async () => {
    server.setFallback({ action: 'destroy' });
    expectNoSecrets(await caught(redeem()));
    expectNoSecrets(await caught(issue()));
  });

  it('timeouts', async () => {
    const impatient = createTestClient(server, { retry: { requestTimeoutMs: 30, maxRetries: 0 } });
    try {
      server.setFallback({ action: 'hang' });
      expectNoSecrets(
        await caught(impatient.api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })),
      );
    } finally {
      impatient.api.close();
    }
  });

  it('aborts, including the failure kept as cause', async () => {
    const controller = new AbortController();
    const aborting = createTestClient(server, {
      sleep: () => new Promise<void>(() => undefined),
      onAttempt: () => setTimeout(() => controller.abort(), 1),
    });
    try {
      server.setFallback({ ...claimEnvelope, status: 503 });
      const error = await caught(
        aborting.api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY, signal: controller.signal }),
      );
      expect(isRelayError(error, RelayErrorCode.ABORTED)).toBe(true);
      expect((error as Error).cause).toBeInstanceOf(PersonaApiError);
      expectNoSecrets(error);
    } finally {
      aborting.api.close();
    }
  });

  it('undecodable answers', async () => {
    server.setFallback({ status: 200, body: `{"claim-payload": 1, "leak": "${RELAY_SECRET}"}` });
    expectNoSecrets(await caught(redeem()));
  });
});

describe('undecodable 2xx → PERSONA_PROTOCOL', () => {
  it.each([
    ['not JSON', 'claim: passed'],
    ['empty', ''],
    ['an array', '[]'],
    ['null', 'null'],
    ['claim-payload missing', JSON.stringify({ 'token-consumed': true })],
    ['claim-payload not a string', JSON.stringify({ 'claim-payload': { a: 1 }, 'token-consumed': true })],
    ['token-consumed a string', JSON.stringify({ 'claim-payload': 'p', 'token-consumed': 'true' })],
    ['token-consumed null', JSON.stringify({ 'claim-payload': 'p', 'token-consumed': null })],
  ])('generate-claim: %s', async (_, body) => {
    server.setFallback({ status: 200, body });
    const error = await caught(redeem());
    expect(isRelayError(error, RelayErrorCode.PERSONA_PROTOCOL)).toBe(true);
    expect((error as RelayError).context).toMatchObject({ operation: 'generate-claim', status: 200 });
    // Ambiguous on generate-claim: retried.
    expect(server.requests).toHaveLength(2);
  });

  it('names the offending field', async () => {
    server.setFallback({ status: 200, body: { 'blind-sig': 42 } });
    const error = (await caught(issue())) as RelayError;
    expect(error.code).toBe(RelayErrorCode.PERSONA_PROTOCOL);
    expect(error.context).toMatchObject({ field: 'blind-sig', status: 200 });
  });

  it('accepts any 2xx', async () => {
    server.script({ status: 201, body: { 'blind-sig': 's' } });
    await expect(issue()).resolves.toEqual({ blindSig: 's' });
  });

  it('a body over 1 MiB is a protocol error', async () => {
    const huge = JSON.stringify({ 'claim-payload': 'x'.repeat(1024 * 1024 + 10), 'token-consumed': true });
    server.setFallback({ status: 200, body: huge });
    const error = await caught(redeem());
    expect(isRelayError(error, RelayErrorCode.PERSONA_PROTOCOL)).toBe(true);
    expect(String(error)).not.toContain('xxxx');
  });

  it('an error body over 1 MiB is a protocol error too', async () => {
    server.setFallback({ status: 400, body: 'e'.repeat(2 * 1024 * 1024) });
    const error = await caught(issue());
    expect(isRelayError(error, RelayErrorCode.PERSONA_PROTOCOL)).toBe(true);
  });
});
