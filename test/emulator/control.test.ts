/** The control API: faults, clock, reset, state counters, request log. */
import { Agent, request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import {
  CLAIM_TYPE,
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
} from './helpers.js';

const RELAY_BODY = { 'claim-type': CLAIM_TYPE, 'encryption-key-pem': null, sandbox: true };

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: [SANDBOX_KEY, PRODUCTION_KEY], signingKeyPem: sharedSigningKey() });
});
afterEach(async () => {
  await control(emulator, '/reset');
});
afterAll(() => emulator.close());

async function state() {
  return (await control(emulator, '/state', undefined, 'GET')).json;
}

async function requestLog() {
  return (await control(emulator, '/requests', undefined, 'GET')).json;
}

describe('faults', () => {
  it('answers an injected status at once, in queue order, `times` times', async () => {
    await control(emulator, '/faults', { endpoint: 'relays', mode: 'status', status: 500, times: 2 });
    await control(emulator, '/faults', { endpoint: 'relays', mode: 'status', status: 502 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(emulator, '/api/privacy/v1/relays', { body: RELAY_BODY })).status);
    expect(statuses).toEqual([500, 500, 502, 200]);
    expect((await state()).relays).toBe(1);
  });

  it('injects 429 with exhausted rate-limit headers, and caches nothing', async () => {
    await control(emulator, '/faults', { endpoint: 'privacy-passes', mode: 'status', status: 429 });
    const material = await fetchChallenge(emulator);
    const key = randomUUID();
    const body = { 'blinded-token': Buffer.alloc(256, 1).toString('base64url'), 'key-id': material.tokenKeyId };
    const headers = { authorization: `Bearer ${SANDBOX_KEY}`, 'idempotency-key': key };
    const limited = await call(emulator, '/api/v1/privacy-passes', { headers, body });
    expect(limited.status).toBe(429);
    expect(limited.json.errors[0]).toMatchObject({ code: 'rate_limited', title: 'Too Many Requests', meta: { injected: true } });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toBe('1');
    const retried = await call(emulator, '/api/v1/privacy-passes', { headers, body });
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('drop-after-commit commits a redemption, drops the response, and the same key replays it', async () => {
    const relay = await createRelay(emulator);
    const pass = await issuePass(emulator, await fetchChallenge(emulator));
    await control(emulator, '/faults', { endpoint: 'generate-claim', mode: 'drop-after-commit' });
    const key = randomUUID();
    await expect(generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key })).rejects.toThrow();
    expect(await state()).toMatchObject({ passesRedeemed: 1, claimsGenerated: 1, idempotencyKeys: 2 });

    const replay = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.json['token-consumed']).toBe(true);
    expect((await state()).claimsGenerated).toBe(1);

    const log = await requestLog();
    const claims = log.filter((entry: { path: string }) => entry.path.endsWith('/generate-claim'));
    expect(claims.map((entry: { status: number; dropped: boolean }) => [entry.status, entry.dropped])).toEqual([
      [200, true],
      [200, false],
    ]);
  });

  it('drop-after-commit on relay creation still creates the relay', async () => {
    await control(emulator, '/faults', { endpoint: 'relays', mode: 'drop-after-commit' });
    await expect(call(emulator, '/api/privacy/v1/relays', { body: RELAY_BODY })).rejects.toThrow();
    expect((await state()).relays).toBe(1);
  });

  it('delay waits before processing (relays) and at the idempotency step (generate-claim)', async () => {
    await control(emulator, '/faults', { endpoint: 'relays', mode: 'delay', delayMs: 200 });
    const started = Date.now();
    expect((await call(emulator, '/api/privacy/v1/relays', { body: RELAY_BODY })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);

    const relay = await createRelay(emulator);
    const pass = await issuePass(emulator, await fetchChallenge(emulator));
    await control(emulator, '/faults', { endpoint: 'generate-claim', mode: 'delay', delayMs: 300 });
    const key = randomUUID();
    const slow = generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const duplicate = await generateClaim(emulator, relay, { token: pass.token, idempotencyKey: key });
    expect([duplicate.status, errorCode(duplicate)]).toEqual([409, 'idempotency_key_in_use']);
    expect((await slow).status).toBe(200);
  });

  it('validates fault requests', async () => {
    const cases: [unknown, number, string][] = [
      [{ mode: 'status', status: 500 }, 400, 'missing_parameter'],
      [{ endpoint: 'inquiries', mode: 'status', status: 500 }, 422, 'invalid_parameter'],
      [{ endpoint: 'relays' }, 400, 'missing_parameter'],
      [{ endpoint: 'relays', mode: 'explode' }, 422, 'invalid_parameter'],
      [{ endpoint: 'relays', mode: 'status' }, 400, 'missing_parameter'],
      [{ endpoint: 'relays', mode: 'status', status: 302 }, 422, 'invalid_parameter'],
      [{ endpoint: 'relays', mode: 'status', status: 500, times: 0 }, 422, 'invalid_parameter'],
      [{ endpoint: 'relays', mode: 'delay', delayMs: 60_001 }, 422, 'invalid_parameter'],
      ['[]', 400, 'invalid_json'],
    ];
    for (const [body, status, code] of cases) {
      const result = await control(emulator, '/faults', body);
      expect([result.status, errorCode(result)]).toEqual([status, code]);
    }
  });
});

describe('clock', () => {
  it('advances emulator time and reports it with milliseconds', async () => {
    const result = await control(emulator, '/clock', { advanceSeconds: 3600 });
    expect(result.json.ok).toBe(true);
    expect(result.json.now).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(result.json.now) - Date.now()).toBeGreaterThan(3_590_000);
    const challenge = JSON.parse(Buffer.from((await fetchChallenge(emulator)).challenge, 'base64url').toString());
    expect(Date.parse(challenge.expires_at) - Date.now()).toBeGreaterThan(2 * 3_590_000);
  });

  it('rejects negative, non-numeric and missing values', async () => {
    for (const [body, status] of [[{ advanceSeconds: -1 }, 422], [{ advanceSeconds: '5' }, 422], [{}, 400]] as const) {
      expect((await control(emulator, '/clock', body)).status).toBe(status);
    }
  });
});

describe('reset', () => {
  it('clears relays, spent nonces, counters, log, faults and clock, and keeps keys', async () => {
    const before = await fetchChallenge(emulator);
    const relay = await createRelay(emulator);
    const pass = await issuePass(emulator, before);
    expect((await generateClaim(emulator, relay, { token: pass.token })).status).toBe(200);
    await control(emulator, '/faults', { endpoint: 'challenge', mode: 'status', status: 500 });
    await control(emulator, '/clock', { advanceSeconds: 600 });

    expect((await control(emulator, '/reset')).json).toEqual({ ok: true });
    expect(await state()).toEqual({
      relays: 0,
      relaysCompleted: 0,
      passesIssued: 0,
      passesRedeemed: 0,
      claimsGenerated: 0,
      idempotencyKeys: 0,
      doubleSpendRejected: 0,
    });
    expect(await requestLog()).toEqual([]);
    expect(errorCode(await generateClaim(emulator, relay, { token: pass.token }))).toBe('relay_not_found');
    const after = await fetchChallenge(emulator); // the fault was cleared
    expect(after.tokenKeyId).toBe(before.tokenKeyId);
    expect(Date.parse((await control(emulator, '/clock', { advanceSeconds: 0 })).json.now) - Date.now()).toBeLessThan(5000);
    // Same MAC and signing keys, spent nonces forgotten: the old pass redeems again.
    const fresh = await createRelay(emulator);
    expect((await generateClaim(emulator, fresh, { token: pass.token })).json['token-consumed']).toBe(true);
  });
});

describe('state counters', () => {
  it('counts relays, completions, passes, claims, keys and double spends; replays are not counted', async () => {
    const production = await createRelay(emulator, { sandbox: false });
    const sandbox = await createRelay(emulator);
    expect(await state()).toMatchObject({ relays: 2, relaysCompleted: 1 });
    await control(emulator, `/relays/${production.token}/complete`, { outcome: 'failed' });

    const pass = await issuePass(emulator, await fetchChallenge(emulator));
    const refused = await issuePass(emulator, await fetchChallenge(emulator, { sandbox: false }), PRODUCTION_KEY);
    const key = randomUUID();
    await generateClaim(emulator, sandbox, { token: pass.token, idempotencyKey: key });
    await generateClaim(emulator, sandbox, { token: pass.token, idempotencyKey: key });
    await generateClaim(emulator, sandbox, { token: pass.token });
    await generateClaim(emulator, production, { token: refused.token });
    expect(await state()).toEqual({
      relays: 2,
      relaysCompleted: 2,
      passesIssued: 2,
      passesRedeemed: 1,
      claimsGenerated: 2,
      idempotencyKeys: 3,
      doubleSpendRejected: 1,
    });
  });
});

describe('request log', () => {
  function rawPost(agent: Agent, path: string, headers: Record<string, string | string[]>, body: string) {
    const url = new URL(path, emulator.url);
    return new Promise<number>((resolve, reject) => {
      const req = httpRequest(url, { method: 'POST', agent, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('records every /api/ request with headers, body, arrival time and client port', async () => {
    await control(emulator, '/clock', { advanceSeconds: 1000 });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const other = new Agent({ keepAlive: false });
    try {
      const body = JSON.stringify(RELAY_BODY);
      await rawPost(keepAlive, '/api/privacy/v1/relays', { 'Content-Type': 'application/json', 'X-Trace': ['a', 'b'] }, body);
      const twice = { Authorization: ['Bearer one', 'Bearer two'] };
      await rawPost(keepAlive, '/api/privacy/v1/relays/challenge', twice, '{"claim-type":"x"}');
      await rawPost(other, '/api/v1/privacy-passes', {}, 'not json');
      await rawPost(other, '/api/nowhere', {}, '');
    } finally {
      keepAlive.destroy();
      other.destroy();
    }
    const log = await requestLog();
    expect(log).toHaveLength(4);
    const [relay, challenge, passes, nowhere] = log;
    expect(relay).toMatchObject({ method: 'POST', path: '/api/privacy/v1/relays', status: 200, body: RELAY_BODY, dropped: false });
    expect(relay.headers['x-trace']).toBe('a, b');
    expect(relay.headers['content-type']).toBe('application/json');
    expect(relay.headers.host).toBeDefined();
    expect(Date.parse(relay.at) - Date.now()).toBeGreaterThan(990_000);
    expect(relay.at).toMatch(/\.\d{3}Z$/);
    expect(challenge.headers.authorization).toBe('Bearer one, Bearer two');
    expect(challenge.remotePort).toBe(relay.remotePort);
    expect(passes.remotePort).not.toBe(relay.remotePort);
    expect(passes).toMatchObject({ status: 401, body: null });
    expect(nowhere).toMatchObject({ path: '/api/nowhere', status: 404, body: null });
  });

  it('leaves the control API out and strips the query', async () => {
    await call(emulator, '/api/privacy/v1/relays/challenge?debug=1', { body: { 'claim-type': CLAIM_TYPE } });
    const log = await requestLog();
    expect(log.map((entry: { path: string }) => entry.path)).toEqual(['/api/privacy/v1/relays/challenge']);
  });
});

describe('relay completion', () => {
  it('completes, replaces the outcome of a completed relay, and rejects bad bodies', async () => {
    const relay = await createRelay(emulator, { sandbox: false });
    expect((await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'failed' })).status).toBe(200);
    const methodology = [{ method: 'live_selfie', result: 'passed' }];
    expect((await control(emulator, `/relays/${relay.token}/complete`, { outcome: 'passed', methodology })).status).toBe(200);
    const pass = await issuePass(emulator, await fetchChallenge(emulator, { sandbox: false }), PRODUCTION_KEY);
    const claim = await generateClaim(emulator, relay, { token: pass.token });
    expect(JSON.parse(claim.json['claim-payload'])).toEqual({ claim_type: CLAIM_TYPE, claim_result: 'passed', methodology });

    const unknown = await control(emulator, '/relays/relay_nope/complete', { outcome: 'passed' });
    expect([unknown.status, errorCode(unknown)]).toEqual([404, 'relay_not_found']);
    const cases: [unknown, number, string][] = [
      [{}, 400, 'missing_parameter'],
      [{ outcome: 'maybe' }, 422, 'invalid_parameter'],
      [{ outcome: 'passed', methodology: [{ method: 'x', result: 'unknown' }] }, 422, 'invalid_parameter'],
      ['nope', 400, 'invalid_json'],
    ];
    for (const [body, status, code] of cases) {
      const result = await control(emulator, `/relays/${relay.token}/complete`, body);
      expect([result.status, errorCode(result)]).toEqual([status, code]);
    }
    const wrongRoute = await control(emulator, '/nothing', {});
    expect([wrongRoute.status, errorCode(wrongRoute)]).toEqual([404, 'route_not_found']);
  });

  it('auto-completes production relays with --auto-complete', async () => {
    const auto = await startEmulator({ apiKeys: [PRODUCTION_KEY], signingKeyPem: sharedSigningKey(), autoComplete: 'failed' });
    try {
      const relay = await createRelay(auto, { sandbox: false });
      const pass = await issuePass(auto, await fetchChallenge(auto, { sandbox: false }), PRODUCTION_KEY);
      const claim = await generateClaim(auto, relay, { token: pass.token });
      expect(claim.json['token-consumed']).toBe(false);
      expect(JSON.parse(claim.json['claim-payload']).claim_result).toBe('failed');
    } finally {
      await auto.close();
    }
  });
});

describe('rate limit', () => {
  it('limits privacy-passes per environment in a fixed 60 s window, replays included', async () => {
    const limited = await startEmulator({ apiKeys: [SANDBOX_KEY, PRODUCTION_KEY], signingKeyPem: sharedSigningKey(), rateLimit: 3 });
    try {
      const material = await fetchChallenge(limited);
      const body = { 'blinded-token': Buffer.alloc(256, 1).toString('base64url'), 'key-id': material.tokenKeyId };
      const send = (apiKey: string, key = randomUUID()) =>
        call(limited, '/api/v1/privacy-passes', { headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key }, body });
      const key = randomUUID();
      const results = [];
      for (const idempotencyKey of [key, key, undefined, undefined]) results.push(await send(SANDBOX_KEY, idempotencyKey));
      expect(results.map((result) => result.status)).toEqual([200, 200, 200, 429]);
      expect(results.map((result) => result.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
      expect(results[0]!.headers.get('ratelimit-limit')).toBe('3');
      expect(Number(results[3]!.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(1);
      expect(Number(results[3]!.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(60);
      expect(results[3]!.headers.get('persona-environment-id')).toMatch(/^env_/);
      expect(results[3]!.headers.get('persona-organization-id')).toMatch(/^org_/);
      // Production has its own window (and answers environment_mismatch for this sandbox key id).
      const production = await send(PRODUCTION_KEY);
      expect(production.status).toBe(422);
      expect(production.headers.get('persona-environment-id')).not.toBe(results[0]!.headers.get('persona-environment-id'));
      await control(limited, '/clock', { advanceSeconds: 60 });
      expect((await send(SANDBOX_KEY)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('turns off with rateLimit 0 (no RateLimit headers)', async () => {
    const unlimited = await startEmulator({ signingKeyPem: sharedSigningKey(), rateLimit: 0 });
    try {
      const result = await call(unlimited, '/api/v1/privacy-passes', {
        headers: { authorization: `Bearer ${SANDBOX_KEY}` },
        body: {},
      });
      expect(result.status).toBe(400);
      expect(result.headers.get('ratelimit-limit')).toBeNull();
      expect(result.headers.get('persona-environment-id')).toMatch(/^env_[A-Za-z0-9]{27}$/);
    } finally {
      await unlimited.close();
    }
  });
});
