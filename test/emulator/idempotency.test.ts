/** The idempotency layer on both endpoints that use it. */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import {
  PRODUCTION_KEY,
  SANDBOX_KEY,
  call,
  control,
  createRelay,
  errorCode,
  fetchChallenge,
  generateClaim,
  issuePass,
  sharedSigningKey,
  type ChallengeMaterial,
} from './helpers.js';

const PASSES = '/api/v1/privacy-passes';
const OTHER_SANDBOX_KEY = 'persona_sandbox_second';

let emulator: RunningEmulator;
let material: ChallengeMaterial;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [SANDBOX_KEY, OTHER_SANDBOX_KEY, PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
  material = await fetchChallenge(emulator);
});
afterEach(async () => {
  await control(emulator, '/reset');
});
afterAll(() => emulator.close());

function sign(body: unknown, key: string, apiKey = SANDBOX_KEY) {
  return call(emulator, PASSES, { headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key }, body });
}

const blinded = (fill: number) => Buffer.alloc(256, fill).toString('base64url');

describe('privacy-passes', () => {
  it('replays the stored response byte for byte, whatever the spelling of the same values', async () => {
    const key = randomUUID();
    const first = await sign({ 'blinded-token': blinded(1), 'key-id': material.tokenKeyId }, key);
    const again = await sign({ blindedToken: blinded(1), key_id: material.tokenKeyId }, key);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('ratelimit-limit')).toBe('300');
    expect((await control(emulator, '/state', undefined, 'GET')).json.passesIssued).toBe(1);
  });

  it('caches failures after authentication, but not 401s', async () => {
    const key = randomUUID();
    const body = { 'blinded-token': 'AAAA', 'key-id': material.tokenKeyId };
    const unauthenticated = await call(emulator, PASSES, { headers: { 'idempotency-key': key }, body });
    expect(unauthenticated.status).toBe(401);
    const invalid = await sign(body, key);
    expect(errorCode(invalid)).toBe('invalid_parameter');
    const replay = await sign(body, key);
    expect(replay.status).toBe(422);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('scopes keys per API key and answers a fingerprint mismatch with 400', async () => {
    const key = randomUUID();
    expect((await sign({ 'blinded-token': blinded(1), 'key-id': material.tokenKeyId }, key)).status).toBe(200);
    const otherApiKey = await sign({ 'blinded-token': blinded(2), 'key-id': material.tokenKeyId }, key, OTHER_SANDBOX_KEY);
    expect(otherApiKey.status).toBe(200);
    expect(otherApiKey.headers.get('idempotent-replayed')).toBeNull();
    const mismatch = await sign({ 'blinded-token': blinded(2), 'key-id': material.tokenKeyId }, key);
    expect([mismatch.status, errorCode(mismatch), mismatch.json.errors[0].title]).toEqual([400, 'idempotency_error', 'Idempotency error']);
  });

  it('forgets keys after 24 hours of emulator time', async () => {
    const key = randomUUID();
    await sign({ 'blinded-token': blinded(1), 'key-id': material.tokenKeyId }, key);
    expect((await control(emulator, '/state', undefined, 'GET')).json.idempotencyKeys).toBe(1);
    await control(emulator, '/clock', { advanceSeconds: 24 * 3600 });
    expect((await control(emulator, '/state', undefined, 'GET')).json.idempotencyKeys).toBe(0);
    const fresh = await sign({ 'blinded-token': blinded(2), 'key-id': material.tokenKeyId }, key);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('generate-claim', () => {
  it('keeps only 2xx: a 403 retried with the same key runs again', async () => {
    const relay = await createRelay(emulator, { sandbox: false });
    const pass = await issuePass(emulator, await fetchChallenge(emulator, { sandbox: false }), PRODUCTION_KEY);
    const key = randomUUID();
    expect(errorCode(await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key }))).toBe('relay_not_completed');
    await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'passed' });
    const retried = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('answers 400 for the same key with another token, relay or secret', async () => {
    const relay = await createRelay(emulator);
    const other = await createRelay(emulator);
    const [pass, second] = [await issuePass(emulator, material), await issuePass(emulator, material)];
    const key = randomUUID();
    expect((await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key })).status).toBe(200);
    for (const result of [
      await generateClaim(emulator, relay, { token: second.token, idempotencyKey: key }),
      await generateClaim(emulator, other, { token: pass.token, idempotencyKey: key }),
    ]) {
      expect([result.status, errorCode(result)]).toEqual([400, 'idempotency_error']);
    }
    // The probe (no token) never reaches the idempotency layer.
    expect(errorCode(await generateClaim(emulator, relay, { idempotencyKey: key }))).toBe('missing_private_token');
  });

  it('ignores Idempotency-Key on relay creation and challenge requests', async () => {
    const headers = { 'idempotency-key': 'same' };
    const body = { 'claim-type': 'age_over18_germany', 'encryption-key-pem': null, sandbox: true };
    const first = await call(emulator, '/api/privacy/v1/relays', { headers, body });
    const second = await call(emulator, '/api/privacy/v1/relays', { headers, body });
    expect(first.json['relay-token']).not.toBe(second.json['relay-token']);
    const mismatched = await call(emulator, '/api/privacy/v1/relays', { headers, body: { ...body, sandbox: false } });
    expect(mismatched.status).toBe(200);
  });
});
