/**
 * Metrics, end to end against the emulator: the services built with an
 * OpenTelemetry SDK meter provider count passes, redemptions by outcome,
 * rate-limit refusals, Persona requests and retries, and report the pool and
 * key reserve levels; their attributes stay bounded and carry nothing about a
 * user and nothing secret. Without an SDK nothing changes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRelayError, RelayErrorCode } from '../../../src/core/errors.js';
import { CLAIM_TYPE, PRODUCTION_API_KEY, TestEmulator } from '../../support/emulator.js';
import { createTestMeter, total, type MetricPoint, type TestMeter } from '../../support/metrics.js';
import { memoryBackend, openSession, useRelayHarness } from '../../support/relay.js';

let emulator: TestEmulator;
beforeAll(async () => {
  emulator = await TestEmulator.start();
});
afterAll(async () => {
  await emulator?.close();
});

const meters: TestMeter[] = [];
afterEach(async () => {
  await Promise.all(meters.splice(0).map((meter) => meter.close()));
});

const h = useRelayHarness(memoryBackend, () => emulator);

/** Services recording into a fresh SDK meter provider; `offsetMs` moves their clock. */
function meteredRelay(options: Parameters<typeof h.relay>[0] = {}) {
  const meter = createTestMeter();
  meters.push(meter);
  const clock = { offsetMs: 0 };
  const relay = h.relay(options, { meterProvider: meter.provider, clock: () => new Date(Date.now() + clock.offsetMs) });
  return { relay, meter, clock };
}

const kind = { claim_type: CLAIM_TYPE, environment: 'production' };

/** The error a promise rejects with (fails the test if it resolves). */
async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Every attribute an instrument may carry, and the values each may take. */
const BOUNDED_ATTRIBUTES: Record<string, (value: unknown) => boolean> = {
  claim_type: (value) => value === CLAIM_TYPE,
  environment: (value) => value === 'production' || value === 'sandbox',
  outcome: (value) =>
    ['succeeded', 'refunded', 'pass_rejected', 'failed_final', 'pending', 'unknown', 'success', 'retry', 'final', 'aborted'].includes(
      value as string,
    ),
  scope: (value) => ['subject', 'client', 'global'].includes(value as string),
  operation: (value) =>
    ['create-relay', 'request-challenge', 'probe-challenge', 'create-privacy-pass', 'generate-claim'].includes(value as string),
  'http.response.status_code': (value) => Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599,
  'error.type': (value) => typeof value === 'string' && /^[A-Z0-9_]{1,48}$/.test(value),
};

function expectBoundedAttributes(points: readonly MetricPoint[]): void {
  for (const point of points) {
    for (const [key, value] of Object.entries(point.attributes)) {
      expect(BOUNDED_ATTRIBUTES[key]?.(value), `${point.name} ${key}=${String(value)}`).toBe(true);
    }
  }
}

describe('metrics', () => {
  it('count a full flow: a pass bought and redeemed, one redemption succeeded, and every Persona request by operation and status', async () => {
    const { relay, meter } = meteredRelay();
    const session = await openSession(relay, 'alice');
    await emulator.complete(session.accessToken);
    await relay.services.claims.redeem('alice', session.sessionId);

    const points = await meter.read();
    expect(new Set(points.map((point) => point.scope.name))).toEqual(new Set(['persona-relay']));
    expect(points[0]!.scope.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(total(points, 'persona_relay.passes.bought', kind)).toBe(1);
    expect(total(points, 'persona_relay.passes.redeemed', kind)).toBe(1);
    expect(total(points, 'persona_relay.passes.refunded')).toBe(0);
    expect(total(points, 'persona_relay.redemptions', { ...kind, outcome: 'succeeded' })).toBe(1);
    expect(total(points, 'persona_relay.redemptions')).toBe(1);
    for (const operation of ['create-relay', 'create-privacy-pass', 'generate-claim']) {
      expect(total(points, 'persona_relay.persona.request.duration', { operation, outcome: 'success' }), operation).toBe(1);
    }
    const redemptionRequest = points.find(
      (point) => point.name === 'persona_relay.persona.request.duration' && point.attributes.operation === 'generate-claim',
    );
    expect(redemptionRequest).toMatchObject({ unit: 'ms', attributes: { 'http.response.status_code': 200 } });
    expect(redemptionRequest!.sum).toBeGreaterThan(0);
    expect(total(points, 'persona_relay.persona.retries')).toBe(0);
    // The session's pass is spent; the per-relay key supply is refilling or full.
    expect(total(points, 'persona_relay.passes.available', kind)).toBe(0);
    expect(points.filter((point) => point.name === 'persona_relay.key_reserve.ready')).toEqual([
      expect.objectContaining({ unit: '{key_pair}', attributes: {}, value: expect.any(Number) }),
    ]);
  });

  it('carry no subject, session, token, key or secret, only bounded attributes', async () => {
    const { relay, meter } = meteredRelay({ limits: { sessionsPerSubjectPerHour: 1 } });
    const subject = 'subject-7f3a9c';
    const session = await openSession(relay, subject);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'status', status: 503, times: 1 });
    await relay.services.claims.redeem(subject, session.sessionId);
    await failure(relay.services.sessions.create(subject, undefined, { client: '203.0.113.7' }));

    const points = await meter.read();
    expectBoundedAttributes(points);
    const text = JSON.stringify(points.map((point) => point.attributes));
    const idempotencyKeys = (await emulator.requests()).map((entry) => entry.headers['idempotency-key']).filter(Boolean);
    for (const secret of [subject, session.sessionId, session.accessToken, PRODUCTION_API_KEY, '203.0.113.7', ...idempotencyKeys]) {
      expect(text).not.toContain(secret);
    }
  });

  it('count a refunded pass (token-consumed: false) as refunded, not redeemed', async () => {
    const { relay, meter } = meteredRelay();
    const session = await openSession(relay);
    await emulator.complete(session.accessToken, 'failed');
    await relay.services.claims.redeem('alice', session.sessionId);

    const points = await meter.read();
    expect(total(points, 'persona_relay.passes.refunded', kind)).toBe(1);
    expect(total(points, 'persona_relay.passes.redeemed')).toBe(0);
    expect(total(points, 'persona_relay.redemptions', { outcome: 'refunded' })).toBe(1);
    // The refunded pass is AVAILABLE again.
    expect(total(points, 'persona_relay.passes.available', kind)).toBe(1);
  });

  it('count each retry and each attempt of a Persona request that needed one', async () => {
    const { relay, meter } = meteredRelay();
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'status', status: 503, times: 2 });
    await relay.services.claims.redeem('alice', session.sessionId);

    const points = await meter.read();
    expect(total(points, 'persona_relay.persona.retries', { operation: 'generate-claim', 'error.type': '503' })).toBe(2);
    const attempts = { operation: 'generate-claim' };
    expect(total(points, 'persona_relay.persona.request.duration', { ...attempts, outcome: 'retry', 'http.response.status_code': 503 })).toBe(2);
    expect(total(points, 'persona_relay.persona.request.duration', { ...attempts, outcome: 'success' })).toBe(1);
    expect(total(points, 'persona_relay.redemptions', { outcome: 'succeeded' })).toBe(1);
  });

  it("count a final answer as failed_final, and a lost answer as pending, then unknown once the replay window closed", async () => {
    const { relay, meter, clock } = meteredRelay({ retry: { maxRetries: 0 } });
    const session = await openSession(relay);
    expect(isRelayError(await failure(relay.services.claims.redeem('alice', session.sessionId)), RelayErrorCode.CLAIM_NOT_READY)).toBe(true);
    await emulator.complete(session.accessToken);
    await emulator.fault({ endpoint: 'generate-claim', mode: 'drop-after-commit' });
    await failure(relay.services.claims.redeem('alice', session.sessionId));
    let points = await meter.read();
    expect(total(points, 'persona_relay.redemptions', { ...kind, outcome: 'failed_final' })).toBe(1);
    expect(total(points, 'persona_relay.redemptions', { ...kind, outcome: 'pending' })).toBe(1);
    const finalAttempts = points.filter(
      (point) => point.name === 'persona_relay.persona.request.duration' && point.attributes.outcome === 'final',
    );
    // The 403 by its status, the lost answer by the transport's reason.
    expect(finalAttempts.map((point) => point.attributes)).toEqual([
      { operation: 'generate-claim', outcome: 'final', 'http.response.status_code': 403, 'error.type': '403' },
      { operation: 'generate-claim', outcome: 'final', 'error.type': expect.stringMatching(/^[A-Z][A-Z0-9_]*$/) },
    ]);

    clock.offsetMs = 2 * 3_600_000;
    const unknown = await failure(relay.services.claims.redeem('alice', session.sessionId));
    expect(isRelayError(unknown, RelayErrorCode.REDEMPTION_UNKNOWN)).toBe(true);
    points = await meter.read();
    expect(total(points, 'persona_relay.redemptions', { ...kind, outcome: 'unknown' })).toBe(1);
  });

  it('count session creations refused by each limit', async () => {
    const { relay, meter } = meteredRelay({ encryption: 'none', limits: { sessionsPerSubjectPerHour: 1, sessionsPerHour: 2 } });
    await relay.services.sessions.create('alice');
    await failure(relay.services.sessions.create('alice'));
    await relay.services.sessions.create('bob');
    await failure(relay.services.sessions.create('carol'));
    await relay.services.drain();

    const points = await meter.read();
    expect(total(points, 'persona_relay.sessions.rate_limited', { scope: 'subject' })).toBe(1);
    expect(total(points, 'persona_relay.sessions.rate_limited', { scope: 'global' })).toBe(1);
    expect(total(points, 'persona_relay.sessions.rate_limited')).toBe(2);
  });

  it('report the pool level per claim type, and count passes that expired unused', async () => {
    const { relay, meter, clock } = meteredRelay({ issuance: 'pool', encryption: 'none', pool: { size: 2 } });
    await relay.services.pool.refill();
    let points = await meter.read();
    expect(total(points, 'persona_relay.passes.available', kind)).toBe(2);
    expect(total(points, 'persona_relay.passes.bought', kind)).toBe(2);
    expect(points.some((point) => point.name === 'persona_relay.key_reserve.ready')).toBe(false);

    clock.offsetMs = 2 * 3_600_000;
    await relay.services.pool.expireStale();
    points = await meter.read();
    expect(total(points, 'persona_relay.passes.expired')).toBe(2);
    expect(total(points, 'persona_relay.passes.available', kind)).toBe(0);
  });

  it('stop reading the pool level from storage once the services are closed', async () => {
    let poolReads = 0;
    const passes = h.storage.passes;
    const storage = {
      ...h.storage,
      passes: {
        ...passes,
        countAvailable: (...args: Parameters<typeof passes.countAvailable>) => {
          poolReads += 1;
          return passes.countAvailable(...args);
        },
      },
    };
    const meter = createTestMeter();
    meters.push(meter);
    const relay = h.relay({}, { storage, meterProvider: meter.provider });
    await meter.read();
    expect(poolReads).toBe(1);
    await relay.close();
    await meter.read();
    expect(poolReads).toBe(1);
  });

  it('change nothing without an SDK: the services run on the no-op global meter provider', async () => {
    const relay = h.relay();
    const session = await openSession(relay);
    await emulator.complete(session.accessToken);
    expect(await relay.services.claims.redeem('alice', session.sessionId)).toMatchObject({ result: 'passed' });
  });
});
