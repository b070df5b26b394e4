import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PersonaApi } from '../../../src/core/persona/index.js';
import { headerNames, startTestServer, type RecordedRequest, type TestServer } from './http-test-server.js';
import {
  API_KEY,
  BLINDED,
  BLINDED_TOKEN,
  CHALLENGE_PATH,
  CREATE_RELAY_PATH,
  GENERATE_CLAIM_PATH,
  IDEMPOTENCY_KEY,
  PASS_TOKEN,
  PRIVACY_PASSES_PATH,
  REDEMPTION,
  RELAY,
  RELAY_SECRET,
  RELAY_TOKEN,
  REQUEST_ID,
  createTestClient,
} from './fixtures.js';

let server: TestServer;
let api: PersonaApi;

beforeEach(async () => {
  server = await startTestServer();
  api = createTestClient(server).api;
});

afterEach(async () => {
  api.close();
  await server.close();
});

/** Headers every call carries. */
function expectCommonHeaders(request: RecordedRequest): void {
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toBe('application/json');
  expect(request.headers.accept).toBe('application/json');
  expect(request.headers['key-inflection']).toBe('kebab');
  expect(request.headers['user-agent']).toBe('node');
  expect(headerNames(request)).not.toContain('persona-version');
}

/** Anonymous calls: no API key anywhere, nothing naming axios or the platform. */
function expectAnonymous(request: RecordedRequest): void {
  expect(request.rawHeaders.join('\n')).not.toContain(API_KEY);
  expect(request.headers['user-agent']).not.toMatch(/axios/i);
  expect(request.headers.authorization ?? '').not.toMatch(/bearer/i);
}

describe('createRelay', () => {
  it('POSTs kebab fields anonymously and reads the relay', async () => {
    server.script({
      status: 200,
      body: { 'relay-token': 'relay_x', 'relay-secret': 's3cret', 'relay-session-access-token': 'jwt', extra: 1 },
    });
    const relay = await api.createRelay({ claimType: 'age_over18_germany', encryptionKeyPem: null, sandbox: false });

    expect(relay).toEqual({ relayToken: 'relay_x', relaySecret: 's3cret', accessToken: 'jwt' });
    const [request] = server.requests;
    expect(request!.url).toBe(CREATE_RELAY_PATH);
    expectCommonHeaders(request!);
    expectAnonymous(request!);
    expect(headerNames(request!)).not.toContain('authorization');
    expect(headerNames(request!)).not.toContain('persona-relay-secret');
    expect(headerNames(request!)).not.toContain('idempotency-key');
    // encryption-key-pem is always sent; sandbox only when true.
    expect(JSON.parse(request!.body)).toEqual({ 'claim-type': 'age_over18_germany', 'encryption-key-pem': null });
  });

  it('sends the PEM and sandbox: true in sandbox', async () => {
    server.script({
      status: 200,
      body: { 'relay-token': 'relay_x', 'relay-secret': 's', 'relay-session-access-token': 'jwt' },
    });
    const pem = '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n';
    await api.createRelay({ claimType: 'age_over18_germany', encryptionKeyPem: pem, sandbox: true });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({
      'claim-type': 'age_over18_germany',
      'encryption-key-pem': pem,
      sandbox: true,
    });
  });

  it.each([
    ['camel', { relayToken: 'relay_c', relaySecret: 'sc', relaySessionAccessToken: 'jc' }, ['relay_c', 'sc', 'jc']],
    ['snake', { relay_token: 'relay_s', relay_secret: 'ss', relay_session_access_token: 'js' }, ['relay_s', 'ss', 'js']],
    [
      'mixed, kebab first',
      { relayToken: 'camel', 'relay-token': 'kebab', relay_secret: 'ss', relaySessionAccessToken: 'jc' },
      ['kebab', 'ss', 'jc'],
    ],
  ])('reads %s field names', async (_, body, [relayToken, relaySecret, accessToken]) => {
    server.script({ status: 200, body });
    await expect(
      api.createRelay({ claimType: 'live_human_presence', encryptionKeyPem: null, sandbox: false }),
    ).resolves.toEqual({ relayToken, relaySecret, accessToken });
  });
});

describe('requestChallenge', () => {
  it('POSTs the claim type without the API key and reads the challenge material', async () => {
    server.script({ status: 200, body: { challenge: 'Y2g', 'token-key': 'a2V5', 'token-key-id': 'id1' } });
    const material = await api.requestChallenge({ claimType: 'age_over18_germany', sandbox: false });

    expect(material).toEqual({ challenge: 'Y2g', tokenKey: 'a2V5', tokenKeyId: 'id1' });
    const [request] = server.requests;
    expect(request!.url).toBe(CHALLENGE_PATH);
    expectCommonHeaders(request!);
    expectAnonymous(request!);
    expect(headerNames(request!)).not.toContain('authorization');
    expect(headerNames(request!)).not.toContain('idempotency-key');
    expect(JSON.parse(request!.body)).toEqual({ 'claim-type': 'age_over18_germany' });
  });

  it('sends sandbox: true in sandbox and reads camel and snake names', async () => {
    server.script(
      { status: 200, body: { challenge: 'c1', tokenKey: 'k1', tokenKeyId: 'i1' } },
      { status: 200, body: { challenge: 'c2', token_key: 'k2', token_key_id: 'i2' } },
    );
    await expect(api.requestChallenge({ claimType: 'x', sandbox: true })).resolves.toEqual({
      challenge: 'c1',
      tokenKey: 'k1',
      tokenKeyId: 'i1',
    });
    await expect(api.requestChallenge({ claimType: 'x', sandbox: true })).resolves.toEqual({
      challenge: 'c2',
      tokenKey: 'k2',
      tokenKeyId: 'i2',
    });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ 'claim-type': 'x', sandbox: true });
  });
});

describe('probeChallenge', () => {
  it("returns a 401's raw WWW-Authenticate, joining repeated fields", async () => {
    server.script({
      status: 401,
      headers: {
        'www-authenticate': ['Basic realm="x"', 'PrivateToken challenge="Y2g", token-key="a2V5", token-key-id="id1"'],
        'request-id': REQUEST_ID,
      },
      body: { errors: [{ title: 'Unauthorized', code: 'missing_private_token' }] },
    });
    const probe = await api.probeChallenge(RELAY);

    expect(probe).toEqual({
      status: 401,
      wwwAuthenticate: 'Basic realm="x", PrivateToken challenge="Y2g", token-key="a2V5", token-key-id="id1"',
      requestId: REQUEST_ID,
    });
    const [request] = server.requests;
    expect(request!.url).toBe(GENERATE_CLAIM_PATH);
    expectCommonHeaders(request!);
    expectAnonymous(request!);
    expect(request!.headers['persona-relay-secret']).toBe(RELAY_SECRET);
    expect(headerNames(request!)).not.toContain('authorization');
    expect(headerNames(request!)).not.toContain('idempotency-key');
    expect(request!.body).toBe('{}');
  });

  it.each([404, 403, 500])('returns a %i instead of throwing, without retrying', async (status) => {
    server.script({ status, body: { errors: [{ title: 'x' }] } });
    await expect(api.probeChallenge(RELAY)).resolves.toEqual({ status });
    expect(server.requests).toHaveLength(1);
  });

  it('percent-encodes the relay token in the path', async () => {
    server.script({ status: 401, headers: { 'www-authenticate': 'PrivateToken challenge=a' } });
    await api.probeChallenge({ relayToken: 'relay/a b?c', relaySecret: RELAY_SECRET });
    expect(server.requests[0]!.url).toBe('/api/privacy/v1/relays/relay%2Fa%20b%3Fc/generate-claim');
  });
});

describe('createPrivacyPass', () => {
  it('POSTs the blinded token with the API key and an idempotency key, never a relay secret', async () => {
    server.script({ status: 200, headers: { 'request-id': REQUEST_ID }, body: { 'blind-sig': 'c2ln' } });
    const result = await api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY });

    expect(result).toEqual({ blindSig: 'c2ln' });
    const [request] = server.requests;
    expect(request!.url).toBe(PRIVACY_PASSES_PATH);
    expectCommonHeaders(request!);
    expect(request!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request!.headers['idempotency-key']).toBe(IDEMPOTENCY_KEY);
    expect(headerNames(request!)).not.toContain('persona-relay-secret');
    expect(request!.body).not.toContain(RELAY_TOKEN);
    expect(JSON.parse(request!.body)).toEqual({ 'blinded-token': BLINDED_TOKEN, 'key-id': 'a'.repeat(64) });
  });

  it.each([
    ['camel', { blindSig: 'camel' }],
    ['snake', { blind_sig: 'snake' }],
  ])('reads the %s spelling', async (spelling, body) => {
    server.script({ status: 200, body });
    await expect(api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY })).resolves.toEqual({
      blindSig: spelling,
    });
  });

  it('refuses to run without an API key', async () => {
    const anonymousOnly = new PersonaApi({ baseUrl: server.baseUrl });
    try {
      await expect(anonymousOnly.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY })).rejects.toThrow(
        TypeError,
      );
      expect(server.requests).toHaveLength(0);
    } finally {
      anonymousOnly.close();
    }
  });
});

describe('generateClaim', () => {
  it('redeems with an unquoted PrivateToken, the relay secret and the idempotency key', async () => {
    const claimPayload = '{"claim_type":"age_over18_germany","claim_result":"passed","methodology":[]}';
    server.script({
      status: 200,
      headers: { 'request-id': REQUEST_ID },
      body: { 'claim-payload': claimPayload, 'token-consumed': true },
    });
    const claim = await api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY });

    expect(claim).toEqual({ claimPayload, tokenConsumed: true, requestId: REQUEST_ID });
    const [request] = server.requests;
    expect(request!.url).toBe(GENERATE_CLAIM_PATH);
    expectCommonHeaders(request!);
    expectAnonymous(request!);
    expect(request!.headers.authorization).toBe(`PrivateToken token=${PASS_TOKEN}`);
    expect(request!.headers['persona-relay-secret']).toBe(RELAY_SECRET);
    expect(request!.headers['idempotency-key']).toBe(IDEMPOTENCY_KEY);
    expect(request!.body).toBe('{}');
  });

  it.each([
    ['camel', { claimPayload: 'p', tokenConsumed: false }],
    ['snake', { claim_payload: 'p', token_consumed: false }],
  ])('reads the %s spelling', async (_, body) => {
    server.script({ status: 200, body });
    await expect(api.generateClaim(REDEMPTION, { idempotencyKey: IDEMPOTENCY_KEY })).resolves.toEqual({
      claimPayload: 'p',
      tokenConsumed: false,
    });
  });
});

describe('options', () => {
  it('sends Persona-Version when configured and a custom anonymous User-Agent', async () => {
    const custom = createTestClient(server, { personaVersion: '2025-12-08', anonymousUserAgent: 'Mozilla/5.0 (X11)' });
    try {
      server.script(
        { status: 200, body: { 'relay-token': 'relay_x', 'relay-secret': 's', 'relay-session-access-token': 'jwt' } },
        { status: 200, body: { challenge: 'c', 'token-key': 'k', 'token-key-id': 'i' } },
        { status: 200, body: { 'blind-sig': 's' } },
      );
      await custom.api.createRelay({ claimType: 'x', encryptionKeyPem: null, sandbox: false });
      await custom.api.requestChallenge({ claimType: 'x', sandbox: false });
      await custom.api.createPrivacyPass(BLINDED, { idempotencyKey: IDEMPOTENCY_KEY });
      const [anonymous, challenge, identified] = server.requests;
      for (const request of [anonymous, challenge, identified]) expect(request!.headers['persona-version']).toBe('2025-12-08');
      expect(anonymous!.headers['user-agent']).toBe('Mozilla/5.0 (X11)');
      // Issuance keeps the default: a custom User-Agent there would only add a platform signal to identified calls.
      expect(challenge!.headers['user-agent']).toBe('node');
      expect(identified!.headers['user-agent']).toBe('node');
    } finally {
      custom.api.close();
    }
  });

  it('rejects misuse with TypeError and sends nothing', async () => {
    expect(() => new PersonaApi({ baseUrl: 'ftp://example.com' })).toThrow(TypeError);
    expect(() => new PersonaApi({ baseUrl: server.baseUrl, retry: { maxRetries: -1 } })).toThrow(TypeError);
    expect(() => new PersonaApi({ baseUrl: server.baseUrl, retry: { requestTimeoutMs: 0 } })).toThrow(TypeError);
    // A flat name from the relay options put into the policy is a mistake, not a setting to ignore.
    expect(
      () => new PersonaApi({ baseUrl: server.baseUrl, retry: { retryBaseDelayMs: 10 } as unknown as { maxRetries: number } }),
    ).toThrow(/retry\.retryBaseDelayMs/);
    expect(() => new PersonaApi({})).toThrow(TypeError);
    expect(() => new PersonaApi({ baseUrl: server.baseUrl, apiKey: 'bad key\n' })).toThrow(TypeError);
    await expect(api.generateClaim({ ...REDEMPTION, token: 'a"b' }, { idempotencyKey: IDEMPOTENCY_KEY })).rejects.toThrow(
      TypeError,
    );
    await expect(
      api.generateClaim({ ...REDEMPTION, relaySecret: 'x\r\nInjected: 1' }, { idempotencyKey: IDEMPOTENCY_KEY }),
    ).rejects.toThrow(TypeError);
    await expect(
      api.generateClaim(REDEMPTION, {} as unknown as { idempotencyKey: string }),
    ).rejects.toThrow(TypeError);
    await expect(
      api.createRelay({ claimType: '', encryptionKeyPem: null, sandbox: false }),
    ).rejects.toThrow(TypeError);
    await expect(
      api.requestChallenge({ claimType: 'x', sandbox: false }, { beforeAttempt: 'no' as unknown as () => Promise<void> }),
    ).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });

  it('never puts a secret into a TypeError message', async () => {
    const error = await api
      .generateClaim({ ...REDEMPTION, relaySecret: `${RELAY_SECRET} with space` }, { idempotencyKey: IDEMPOTENCY_KEY })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).not.toContain(RELAY_SECRET);
  });

  it('refuses calls after close()', async () => {
    api.close();
    await expect(api.requestChallenge({ claimType: 'x', sandbox: false })).rejects.toThrow(TypeError);
  });
});
