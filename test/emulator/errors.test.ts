/** Every error code of the emulator's catalog, reached by a real HTTP request, with its status and the order of the checks. */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import {
  CLAIM_TYPE,
  PRODUCTION_KEY,
  SANDBOX_KEY,
  call,
  control,
  createRelay,
  encodeToken,
  errorCode,
  fetchChallenge,
  generateClaim,
  issuePass,
  macKeyFor,
  mintChallenge,
  sharedSigningKey,
  type ApiResult,
  type ChallengeMaterial,
  type CreatedRelay,
  type IssuedPass,
} from './helpers.js';

const RELAYS = '/api/privacy/v1/relays';
const CHALLENGE = '/api/privacy/v1/relays/challenge';
const PASSES = '/api/v1/privacy-passes';

function expectError(result: ApiResult, status: number, code: string): void {
  expect({ status: result.status, code: errorCode(result) }).toEqual({ status, code });
  expect(typeof result.json.errors[0].title).toBe('string');
  expect(typeof result.json.errors[0].details).toBe('string');
  expect(result.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(result.headers.get('request-id')).toMatch(/^req_[A-Za-z0-9]{27}$/);
}

function passRequest(apiKey: string, body: unknown, idempotencyKey?: string) {
  return {
    headers: { authorization: `Bearer ${apiKey}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body,
  };
}

const farFuture = '2999-01-01T00:00:00Z';

describe('error codes over HTTP', () => {
  let emulator: RunningEmulator;
  let sandboxMaterial: ChallengeMaterial;
  let relay: CreatedRelay;
  let pass: IssuedPass;
  const macKey = macKeyFor(sharedSigningKey());

  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: [SANDBOX_KEY, PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
    sandboxMaterial = await fetchChallenge(emulator);
    relay = await createRelay(emulator);
    pass = await issuePass(emulator, sandboxMaterial);
  });
  afterAll(() => emulator.close());

  function tokenWith(challenge: Record<string, unknown>, keyId = sandboxMaterial.tokenKeyId): string {
    return encodeToken({ nonce: randomBytes(32).toString('hex'), signature: randomBytes(256), keyId, challenge });
  }

  it('400 missing_parameter', async () => {
    expectError(await call(emulator, RELAYS, { body: { 'encryption-key-pem': null } }), 400, 'missing_parameter');
    expectError(await call(emulator, RELAYS, { body: { 'claim-type': null, 'encryption-key-pem': null } }), 400, 'missing_parameter');
    const noPem = await call(emulator, RELAYS, { body: { 'claim-type': CLAIM_TYPE } });
    expectError(noPem, 400, 'missing_parameter');
    expect(noPem.json.errors[0].meta).toEqual({ parameter: 'encryption-key-pem' });
    expectError(await call(emulator, CHALLENGE, { body: {} }), 400, 'missing_parameter');
    const noKeyId = await call(emulator, PASSES, passRequest(SANDBOX_KEY, { 'blinded-token': 'AAAA' }));
    expectError(noKeyId, 400, 'missing_parameter');
    expect(noKeyId.json.errors[0].meta).toEqual({ parameter: 'key-id' });
    // Presence of both fields is checked before their types.
    const wrongTypeAndMissing = await call(emulator, PASSES, passRequest(SANDBOX_KEY, { 'blinded-token': 7 }));
    expectError(wrongTypeAndMissing, 400, 'missing_parameter');
  });

  it('400 invalid_json', async () => {
    expectError(await call(emulator, RELAYS, { body: 'not json' }), 400, 'invalid_json');
    expectError(await call(emulator, CHALLENGE, { body: '[1]' }), 400, 'invalid_json');
    expectError(await call(emulator, PASSES, passRequest(SANDBOX_KEY, '"text"')), 400, 'invalid_json');
  });

  it('400 idempotency_error (title "Idempotency error")', async () => {
    const key = randomUUID();
    const body = (fill: number) => ({
      'blinded-token': Buffer.alloc(256, fill).toString('base64url'),
      'key-id': sandboxMaterial.tokenKeyId,
    });
    expect((await call(emulator, PASSES, passRequest(SANDBOX_KEY, body(1), key))).status).toBe(200);
    const mismatch = await call(emulator, PASSES, passRequest(SANDBOX_KEY, body(2), key));
    expectError(mismatch, 400, 'idempotency_error');
    expect(mismatch.json.errors[0].title).toBe('Idempotency error');
  });

  it('401 invalid_api_key, without rate-limit headers', async () => {
    const body = { 'blinded-token': 'AAAA', 'key-id': 'x' };
    expectError(await call(emulator, PASSES, { body }), 401, 'invalid_api_key');
    const wrong = await call(emulator, PASSES, passRequest('persona_sandbox_other', body));
    expectError(wrong, 401, 'invalid_api_key');
    expect(wrong.headers.get('ratelimit-limit')).toBeNull();
    const basic = await call(emulator, PASSES, { headers: { authorization: `Basic ${SANDBOX_KEY}` }, body });
    expectError(basic, 401, 'invalid_api_key');
  });

  it('401 missing_private_token, with a challenge for the relay', async () => {
    const result = await generateClaim(emulator, relay, { headers: { authorization: `Bearer ${SANDBOX_KEY}` } });
    expectError(result, 401, 'missing_private_token');
    expect(result.headers.get('www-authenticate')).toMatch(
      /^PrivateToken challenge="[A-Za-z0-9_-]+", token-key="[A-Za-z0-9_-]+", token-key-id="[0-9a-f]{64}"$/,
    );
    expectError(await generateClaim(emulator, relay, { headers: { authorization: 'PrivateToken max-age=10' } }), 401, 'missing_private_token');
  });

  it('401 invalid_token', async () => {
    expectError(await generateClaim(emulator, relay, { token: 'not*base64' }), 401, 'invalid_token');
    const notJson = Buffer.from('hello').toString('base64url');
    expectError(await generateClaim(emulator, relay, { token: notJson }), 401, 'invalid_token');
    const challenge = mintChallenge(macKey, { expires_at: farFuture });
    const keyId = sandboxMaterial.tokenKeyId;
    const badNonce = encodeToken({ nonce: 'A'.repeat(64), signature: randomBytes(256), keyId, challenge });
    expectError(await generateClaim(emulator, relay, { token: badNonce }), 401, 'invalid_token');
    // Well-formed, valid challenge and key, but a signature that does not verify (step 9).
    const forged = await generateClaim(emulator, relay, { token: tokenWith(challenge) });
    expectError(forged, 401, 'invalid_token');
    expect(forged.headers.get('www-authenticate')).toContain('PrivateToken challenge=');
    // Quoted token parameter, lower-case scheme: parsed, then rejected on the signature.
    const authorization = `privatetoken token="${tokenWith(challenge)}"`;
    const quoted = await generateClaim(emulator, relay, { headers: { authorization } });
    expectError(quoted, 401, 'invalid_token');
  });

  it('401 invalid_challenge_mac when a covered field is edited', async () => {
    const decoded = JSON.parse(Buffer.from(pass.token, 'base64url').toString());
    decoded.challenge.expires_at = farFuture;
    const tampered = Buffer.from(JSON.stringify(decoded)).toString('base64url');
    expectError(await generateClaim(emulator, relay, { token: tampered }), 401, 'invalid_challenge_mac');
    const stringType = mintChallenge(macKey, { expires_at: farFuture });
    stringType.token_type = '2';
    expectError(await generateClaim(emulator, relay, { token: tokenWith(stringType) }), 401, 'invalid_challenge_mac');
  });

  it('401 challenge_expired (checked before the origin)', async () => {
    const expired = mintChallenge(macKey, { expires_at: '2020-01-01T00:00:00Z', origin_info: '/elsewhere' });
    expectError(await generateClaim(emulator, relay, { token: tokenWith(expired) }), 401, 'challenge_expired');
    const unparsable = mintChallenge(macKey, { expires_at: 'tomorrow' });
    expectError(await generateClaim(emulator, relay, { token: tokenWith(unparsable) }), 401, 'challenge_expired');
  });

  it('401 invalid_origin', async () => {
    const elsewhere = mintChallenge(macKey, { expires_at: farFuture, origin_info: '/api/v1/inquiries' });
    expectError(await generateClaim(emulator, relay, { token: tokenWith(elsewhere) }), 401, 'invalid_origin');
  });

  it('401 unknown_key_id', async () => {
    const challenge = mintChallenge(macKey, { expires_at: farFuture });
    expectError(await generateClaim(emulator, relay, { token: tokenWith(challenge, 'abc123') }), 401, 'unknown_key_id');
  });

  it('401 token_already_redeemed', async () => {
    const spent = await issuePass(emulator, sandboxMaterial);
    expect((await generateClaim(emulator, relay, { token: spent.token })).status).toBe(200);
    expectError(await generateClaim(emulator, relay, { token: spent.token }), 401, 'token_already_redeemed');
  });

  it('403 relay_not_completed', async () => {
    const pending = await createRelay(emulator, { sandbox: false });
    const production = await issuePass(emulator, await fetchChallenge(emulator, { sandbox: false }), PRODUCTION_KEY);
    expectError(await generateClaim(emulator, pending, { token: production.token }), 403, 'relay_not_completed');
  });

  it('404 relay_not_found for an unknown relay, a wrong secret or none, before anything else', async () => {
    const unknown = { ...relay, token: 'relay_doesnotexist' };
    expectError(await generateClaim(emulator, unknown, { token: pass.token }), 404, 'relay_not_found');
    expectError(await generateClaim(emulator, relay, { secret: randomUUID() }), 404, 'relay_not_found');
    const noSecret = await call(emulator, `${RELAYS}/${relay.token}/generate-claim`, { body: {} });
    expectError(noSecret, 404, 'relay_not_found');
    expect(noSecret.headers.get('www-authenticate')).toBeNull();
  });

  it('404 route_not_found for other paths and methods under /api/', async () => {
    expectError(await call(emulator, RELAYS, { method: 'GET' }), 404, 'route_not_found');
    expectError(await call(emulator, '/api/v1/inquiries', { body: {} }), 404, 'route_not_found');
    expectError(await call(emulator, `${RELAYS}/${relay.token}`, { body: {} }), 404, 'route_not_found');
  });

  it('409 idempotency_key_in_use while the first request is in flight', async () => {
    await control(emulator, '/faults', { endpoint: 'privacy-passes', mode: 'delay', delayMs: 300 });
    const key = randomUUID();
    const body = { 'blinded-token': Buffer.alloc(256, 3).toString('base64url'), 'key-id': sandboxMaterial.tokenKeyId };
    const first = call(emulator, PASSES, passRequest(SANDBOX_KEY, body, key));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expectError(await call(emulator, PASSES, passRequest(SANDBOX_KEY, body, key)), 409, 'idempotency_key_in_use');
    expect((await first).status).toBe(200);
  });

  it('422 invalid_parameter', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' });
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' });
    const cases: [string, unknown][] = [
      [RELAYS, { 'claim-type': 'Age-Over-18', 'encryption-key-pem': null }],
      [RELAYS, { 'claim-type': 42, 'encryption-key-pem': null }],
      [RELAYS, { 'claim-type': CLAIM_TYPE, 'encryption-key-pem': 'not a pem' }],
      [RELAYS, { 'claim-type': CLAIM_TYPE, 'encryption-key-pem': weak }],
      [RELAYS, { 'claim-type': CLAIM_TYPE, 'encryption-key-pem': ecPem }],
      [RELAYS, { 'claim-type': CLAIM_TYPE, 'encryption-key-pem': null, sandbox: 'yes' }],
      [CHALLENGE, { 'claim-type': 'x'.repeat(101) }],
      [CHALLENGE, { 'claim-type': CLAIM_TYPE, sandbox: 1 }],
    ];
    for (const [path, body] of cases) expectError(await call(emulator, path, { body }), 422, 'invalid_parameter');

    const passCases: unknown[] = [
      { 'blinded-token': 7, 'key-id': sandboxMaterial.tokenKeyId },
      { 'blinded-token': 'AAAA', 'key-id': 'unknown-key' },
      { 'blinded-token': Buffer.alloc(255, 1).toString('base64url'), 'key-id': sandboxMaterial.tokenKeyId },
      { 'blinded-token': Buffer.alloc(256, 0xff).toString('base64url'), 'key-id': sandboxMaterial.tokenKeyId },
      { 'blinded-token': `${Buffer.alloc(256, 1).toString('base64url')}!`, 'key-id': sandboxMaterial.tokenKeyId },
    ];
    for (const body of passCases) expectError(await call(emulator, PASSES, passRequest(SANDBOX_KEY, body)), 422, 'invalid_parameter');
  });

  it('422 environment_mismatch on issuance and on redemption', async () => {
    const body = { 'blinded-token': Buffer.alloc(256, 1).toString('base64url'), 'key-id': sandboxMaterial.tokenKeyId };
    expectError(await call(emulator, PASSES, passRequest(PRODUCTION_KEY, body)), 422, 'environment_mismatch');
    const productionRelay = await createRelay(emulator, { sandbox: false });
    const sandboxPass = await issuePass(emulator, sandboxMaterial);
    expectError(await generateClaim(emulator, productionRelay, { token: sandboxPass.token }), 422, 'environment_mismatch');
    // The refused pass is not spent.
    expect((await generateClaim(emulator, relay, { token: sandboxPass.token })).json['token-consumed']).toBe(true);
  });

  it('422 claim_type_mismatch', async () => {
    const other = await createRelay(emulator, { claimType: 'live_human_presence' });
    expectError(await generateClaim(emulator, other, { token: pass.token }), 422, 'claim_type_mismatch');
  });

  it('injected_fault (any status) and rate_limited for an injected 429', async () => {
    await control(emulator, '/faults', { endpoint: 'challenge', mode: 'status', status: 503 });
    const injected = await call(emulator, CHALLENGE, { body: { 'claim-type': CLAIM_TYPE } });
    expectError(injected, 503, 'injected_fault');
    expect(injected.json.errors[0]).toMatchObject({ title: 'Service Unavailable', meta: { injected: true } });
  });
});

describe('errors that need their own emulator', () => {
  it('429 rate_limited over --rate-limit', async () => {
    const emulator = await startEmulator({ rateLimit: 1, signingKeyPem: sharedSigningKey() });
    try {
      const body = { 'blinded-token': 'AAAA', 'key-id': 'x' };
      expect((await call(emulator, PASSES, passRequest(SANDBOX_KEY, body))).status).toBe(422);
      const limited = await call(emulator, PASSES, passRequest(SANDBOX_KEY, body));
      expectError(limited, 429, 'rate_limited');
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
    } finally {
      await emulator.close();
    }
  });

  it('401 challenge_expired and 403 relay_expired through the clock', async () => {
    const emulator = await startEmulator({ apiKeys: [PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
    try {
      const pending = await createRelay(emulator, { sandbox: false });
      const material = await fetchChallenge(emulator, { sandbox: false });
      const early = await issuePass(emulator, material, PRODUCTION_KEY);
      await control(emulator, '/clock', { advanceSeconds: 30 * 60 });
      const late = await issuePass(emulator, await fetchChallenge(emulator, { sandbox: false }), PRODUCTION_KEY);
      expectError(await generateClaim(emulator, pending, { token: late.token }), 403, 'relay_expired');
      const completeLate = await control(emulator, `/relays/${pending.token}/complete`, { outcome: 'passed' });
      expect([completeLate.status, errorCode(completeLate)]).toEqual([403, 'relay_expired']);
      await control(emulator, '/clock', { advanceSeconds: 2 * 3600 });
      expectError(await generateClaim(emulator, pending, { token: early.token }), 401, 'challenge_expired');
    } finally {
      await emulator.close();
    }
  });
});
