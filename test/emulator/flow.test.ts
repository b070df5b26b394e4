import { constants, generateKeyPairSync, privateDecrypt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import {
  CLAIM_TYPE,
  PRODUCTION_KEY,
  SANDBOX_KEY,
  call,
  control,
  createRelay,
  decodeChallenge,
  errorCode,
  fetchChallenge,
  generateClaim,
  issuePass,
  parseWwwAuthenticate,
  sharedSigningKey,
} from './helpers.js';

describe('full flow over HTTP (fresh signing keys)', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: [SANDBOX_KEY, PRODUCTION_KEY] });
  });
  afterAll(() => emulator.close());

  it('creates, challenges, issues, completes and redeems; replays; rejects a second redemption', async () => {
    const relay = await createRelay(emulator, { sandbox: false });
    expect(relay.token).toMatch(/^relay_[A-Za-z0-9]{27}$/);
    expect(relay.secret).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [, jwtPayload] = relay.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(jwtPayload!, 'base64url').toString());
    expect(claims.sub).toMatch(/^relsess_[A-Za-z0-9]{27}$/);
    expect(claims.exp - claims.iat).toBe(1800);

    // The relay's 401 and the challenge endpoint give the same key for the pair.
    const probe = await generateClaim(emulator, relay);
    expect(probe.status).toBe(401);
    expect(errorCode(probe)).toBe('missing_private_token');
    const fromRelay = parseWwwAuthenticate(probe.headers.get('www-authenticate'));
    const fromEndpoint = await fetchChallenge(emulator, { sandbox: false });
    expect(fromEndpoint.tokenKeyId).toBe(fromRelay.tokenKeyId);
    expect(fromEndpoint.tokenKey).toBe(fromRelay.tokenKey);
    expect(fromRelay.tokenKeyId).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(fromRelay.tokenKey, 'base64url').subarray(0, 24).toString('hex')).toBe(
      '30820122300d06092a864886f70d01010105000382010f00',
    );
    const challenge = decodeChallenge(fromRelay.challenge);
    expect(Object.keys(challenge)).toEqual(['token_type', 'issuer_name', 'origin_info', 'expires_at', 'mac']);
    expect(challenge).toMatchObject({
      token_type: 2,
      issuer_name: 'withpersona.com/api/v1/privacy-passes',
      origin_info: '/api/privacy/v1/relays',
    });
    expect(challenge.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00Z$/);
    const lifetimeMs = Date.parse(challenge.expires_at as string) - Date.now();
    expect(lifetimeMs).toBeGreaterThan(3_590_000);
    expect(lifetimeMs).toBeLessThanOrEqual(7_200_000);
    expect(challenge.mac).toMatch(/^[0-9a-f]{64}$/);

    const pass = await issuePass(emulator, fromRelay, PRODUCTION_KEY);
    expect(pass.token.startsWith('eyJ0b2tlbl9ub25jZSI6I')).toBe(true);

    const notReady = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: randomUUID() });
    expect(notReady.status).toBe(403);
    expect(errorCode(notReady)).toBe('relay_not_completed');

    const methodology = [{ method: 'facial_age_estimation', result: 'passed' }];
    expect((await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'passed', methodology })).json).toEqual({ ok: true });

    const key = randomUUID();
    const first = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(first.headers.get('request-id')).toMatch(/^req_[A-Za-z0-9]{27}$/);
    expect(first.json['token-consumed']).toBe(true);
    expect(first.json['claim-payload']).toBe(
      '{"claim_type":"age_over18_germany","claim_result":"passed","methodology":[{"method":"facial_age_estimation","result":"passed"}]}',
    );

    const replay = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key });
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    const second = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: randomUUID() });
    expect(second.status).toBe(401);
    expect(errorCode(second)).toBe('token_already_redeemed');
    expect(parseWwwAuthenticate(second.headers.get('www-authenticate')).tokenKeyId).toBe(fromRelay.tokenKeyId);
  });

  it('refunds the pass of a failed claim; it then redeems another relay', async () => {
    const material = await fetchChallenge(emulator, { sandbox: false });
    const pass = await issuePass(emulator, material, PRODUCTION_KEY);
    const failing = await createRelay(emulator, { sandbox: false });
    await control(emulator, `/relays/${failing.token}/complete`, { outcome: 'failed' });

    const failed = await generateClaim(emulator, failing, { token: pass.token, idempotencyKey: randomUUID() });
    expect(failed.status).toBe(200);
    expect(failed.json['token-consumed']).toBe(false);
    expect(JSON.parse(failed.json['claim-payload'])).toEqual({ claim_type: CLAIM_TYPE, claim_result: 'failed', methodology: [] });

    const passing = await createRelay(emulator, { sandbox: false });
    await control(emulator, `/relays/${passing.token}/complete`, { outcome: 'passed' });
    const passed = await generateClaim(emulator, passing, { token: pass.token, idempotencyKey: randomUUID() });
    expect(passed.status).toBe(200);
    expect(passed.json['token-consumed']).toBe(true);
  });

  it('lets exactly one of several concurrent redemptions spend a pass', async () => {
    const material = await fetchChallenge(emulator);
    const pass = await issuePass(emulator, material, SANDBOX_KEY);
    const relay = await createRelay(emulator);
    // All six wait at the delay point together, then race through the checks.
    await control(emulator, '/faults', { endpoint: 'generate-claim', mode: 'delay', delayMs: 100, times: 6 });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => generateClaim(emulator, relay, { token: pass.token, idempotencyKey: randomUUID() })),
    );
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    expect(results.filter((result) => errorCode(result) === 'token_already_redeemed')).toHaveLength(5);
  });

  it('keeps sandbox claims passed whatever the completion says, with an empty methodology', async () => {
    const relay = await createRelay(emulator);
    await control(emulator, `/relays/${relay.token}/complete`, {
      outcome: 'failed',
      methodology: [{ method: 'live_selfie', result: 'failed' }],
    });
    const pass = await issuePass(emulator, await fetchChallenge(emulator), SANDBOX_KEY);
    const claim = await generateClaim(emulator, relay, { token: pass.token });
    expect(claim.status).toBe(200);
    expect(JSON.parse(claim.json['claim-payload'])).toEqual({ claim_type: CLAIM_TYPE, claim_result: 'passed', methodology: [] });
  });

  it('omits methodology for claim types that hide it', async () => {
    const claimType = 'age_over18_france';
    const relay = await createRelay(emulator, { claimType });
    const pass = await issuePass(emulator, await fetchChallenge(emulator, { claimType }), SANDBOX_KEY);
    const claim = await generateClaim(emulator, relay, { token: pass.token });
    expect(claim.json['claim-payload']).toBe('{"claim_type":"age_over18_france","claim_result":"passed"}');
  });

  it('redeems a pass whose challenge came from the relay 401 on another relay of the same pair', async () => {
    const first = await createRelay(emulator);
    const material = parseWwwAuthenticate((await generateClaim(emulator, first)).headers.get('www-authenticate'));
    const pass = await issuePass(emulator, material, SANDBOX_KEY);
    const other = await createRelay(emulator);
    expect((await generateClaim(emulator, other, { token: pass.token })).json['token-consumed']).toBe(true);
  });
});

describe('encrypted claim payloads', () => {
  const recipient = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = recipient.publicKey.export({ type: 'spki', format: 'pem' }) as string;

  async function redeemEncrypted(emulator: RunningEmulator, relayPem: string, methodology: unknown[] = []) {
    const relay = await createRelay(emulator, { sandbox: false, pem: relayPem });
    await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'passed', methodology });
    const pass = await issuePass(emulator, await fetchChallenge(emulator, { sandbox: false }), PRODUCTION_KEY);
    return { relay, pass, claim: await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: randomUUID() }) };
  }

  it('encrypts with RSA-OAEP SHA-256 by default (standard padded base64)', async () => {
    const emulator = await startEmulator({ apiKeys: [PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
    try {
      const { claim } = await redeemEncrypted(emulator, pem, [{ method: 'document_selfie', result: 'passed' }]);
      expect(claim.status).toBe(200);
      const ciphertext: string = claim.json['claim-payload'];
      expect(ciphertext).toMatch(/^[A-Za-z0-9+/]{342}==$/);
      const plaintext = privateDecrypt(
        { key: recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        Buffer.from(ciphertext, 'base64'),
      ).toString('utf8');
      expect(JSON.parse(plaintext)).toEqual({
        claim_type: CLAIM_TYPE,
        claim_result: 'passed',
        methodology: [{ method: 'document_selfie', result: 'passed' }],
      });
    } finally {
      await emulator.close();
    }
  });

  it('accepts PKCS#1 PEMs and switches to SHA-1 with oaepHash sha1', async () => {
    const emulator = await startEmulator({ apiKeys: [PRODUCTION_KEY], signingKeyPem: sharedSigningKey(), oaepHash: 'sha1' });
    try {
      const pkcs1 = recipient.publicKey.export({ type: 'pkcs1', format: 'pem' }) as string;
      const { claim } = await redeemEncrypted(emulator, pkcs1);
      const plaintext = privateDecrypt(
        { key: recipient.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
        Buffer.from(claim.json['claim-payload'], 'base64'),
      ).toString('utf8');
      expect(JSON.parse(plaintext).claim_result).toBe('passed');
    } finally {
      await emulator.close();
    }
  });

  it('answers 422 when the payload is too big for the key, and the pass stays usable', async () => {
    const emulator = await startEmulator({ apiKeys: [PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
    try {
      const three = ['facial_age_estimation', 'document_selfie', 'live_selfie'].map((method) => ({ method, result: 'passed' }));
      const { relay, pass, claim } = await redeemEncrypted(emulator, pem, three);
      expect(claim.status).toBe(422);
      expect(errorCode(claim)).toBe('invalid_parameter');
      await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'passed' });
      const retried = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: randomUUID() });
      expect(retried.status).toBe(200);
      expect(retried.json['token-consumed']).toBe(true);
    } finally {
      await emulator.close();
    }
  });
});

describe('key casing', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ signingKeyPem: sharedSigningKey() });
  });
  afterAll(() => emulator.close());

  it('accepts camel and snake request keys and shapes responses with Key-Inflection', async () => {
    const camel = await call(emulator, '/api/privacy/v1/relays', {
      headers: { 'key-inflection': 'CAMEL' },
      body: { claimType: CLAIM_TYPE, encryptionKeyPem: null, sandbox: true },
    });
    expect(camel.status).toBe(200);
    expect(Object.keys(camel.json).sort()).toEqual(['relaySecret', 'relaySessionAccessToken', 'relayToken']);

    const snake = await call(emulator, '/api/privacy/v1/relays/challenge', {
      headers: { 'key-inflection': 'snake' },
      body: { claim_type: CLAIM_TYPE, sandbox: true },
    });
    expect(Object.keys(snake.json).sort()).toEqual(['challenge', 'token_key', 'token_key_id']);

    const unknown = await call(emulator, '/api/privacy/v1/relays/challenge', {
      headers: { 'key-inflection': 'pascal' },
      body: { 'claim-type': CLAIM_TYPE, claim_type: CLAIM_TYPE },
    });
    expect(Object.keys(unknown.json).sort()).toEqual(['challenge', 'token-key', 'token-key-id']);

    const relay = {
      token: camel.json.relayToken,
      secret: camel.json.relaySecret,
      accessToken: camel.json.relaySessionAccessToken,
    };
    const pass = await issuePass(emulator, await fetchChallenge(emulator), SANDBOX_KEY);
    const claim = await generateClaim(emulator, relay, { token: pass.token, headers: { 'key-inflection': 'camel' } });
    expect(Object.keys(claim.json).sort()).toEqual(['claimPayload', 'tokenConsumed']);
    // The payload inside stays snake_case.
    expect(JSON.parse(claim.json.claimPayload).claim_type).toBe(CLAIM_TYPE);
  });

  it('rejects one field in two spellings with different values', async () => {
    const result = await call(emulator, '/api/privacy/v1/relays', {
      body: { 'claim-type': CLAIM_TYPE, claimType: 'age_over18_france', 'encryption-key-pem': null },
    });
    expect(result.status).toBe(422);
    expect(result.json.errors[0]).toMatchObject({ code: 'invalid_parameter', meta: { parameter: 'claim-type' } });
  });

  it('accepts privacy-passes fields in camelCase', async () => {
    const material = await fetchChallenge(emulator);
    const result = await call(emulator, '/api/v1/privacy-passes', {
      headers: { authorization: `Bearer ${SANDBOX_KEY}`, 'key-inflection': 'camel' },
      body: { blindedToken: Buffer.alloc(256, 1).toString('base64url'), keyId: material.tokenKeyId },
    });
    expect(result.status).toBe(200);
    expect(Buffer.from(result.json.blindSig, 'base64url')).toHaveLength(256);
  });
});
