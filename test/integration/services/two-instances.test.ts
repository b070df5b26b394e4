/**
 * Two app instances on one PostgreSQL: two data
 * sources, two service graphs, racing the same sessions' claims. Exactly one
 * pass is redeemed per session, none is bought twice, and both instances give
 * the same answer. Session creations racing on both instances stay within
 * the per-client and global limits exactly.
 */
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRelayError, RelayErrorCode } from '../../../src/core/errors.js';
import { createRelayDataSource, createTypeOrmStorage } from '../../../src/typeorm/index.js';
import { createPostgresTestSchema, type PostgresTestSchema } from '../storage/support/relay-test-databases.js';
import { TestEmulator, presentedToken } from '../../support/emulator.js';
import type { RelayOptions } from '../../../src/core/config/index.js';
import { createTestRelay, newStorageKey, POSTGRES_URL, type TestRelay } from '../../support/relay.js';

/** Two relay instances, each with its own data source, on one fresh PostgreSQL schema and one emulator. */
interface TwoInstances {
  emulator: TestEmulator;
  instances: TestRelay[];
}

/** Registers the hooks that start two instances with `options` before the suite's tests and stop them after. */
function twoInstancesOnPostgres(options: RelayOptions): TwoInstances {
  const world: TwoInstances = { emulator: undefined as unknown as TestEmulator, instances: [] };
  let schema: PostgresTestSchema | undefined;
  let dataSources: DataSource[] = [];

  beforeAll(async () => {
    world.emulator = await TestEmulator.start();
    schema = await createPostgresTestSchema();
    // Sequentially: the first migrates the schema, the second finds it current.
    for (let i = 0; i < 2; i += 1) dataSources.push(await createRelayDataSource({ databaseUrl: schema.url }).initialize());
    const storageKey = newStorageKey();
    world.instances = dataSources.map((dataSource, i) =>
      createTestRelay({
        apiUrl: world.emulator.url,
        storage: createTypeOrmStorage(dataSource),
        options: { storageKey, encryption: 'none', ...options },
        instanceId: `instance-${i}`,
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(world.instances.map((instance) => instance.close()));
    await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
    await schema?.drop();
    await world.emulator?.close();
    dataSources = [];
    world.instances = [];
  });
  return world;
}

describe.skipIf(POSTGRES_URL === undefined)('two instances on one PostgreSQL', () => {
  const world = twoInstancesOnPostgres({});

  it('redeems each raced session exactly once and answers both instances the same', async () => {
    const { emulator } = world;
    const [a, b] = world.instances as [TestRelay, TestRelay];
    const sessions = [];
    for (let i = 0; i < 4; i += 1) {
      const created = await a.services.sessions.create(`user-${i}`);
      sessions.push({ subject: `user-${i}`, ...created });
    }
    await a.services.drain();
    for (const [i, session] of sessions.entries()) await emulator.complete(session.accessToken, i % 2 === 0 ? 'passed' : 'failed');
    // Keep every redemption in flight a moment, so the other instance's call arrives meanwhile.
    await emulator.fault({ endpoint: 'generate-claim', mode: 'delay', delayMs: 200, times: sessions.length });

    for (const session of sessions) {
      const [fromA, fromB] = await Promise.all([
        a.services.claims.redeem(session.subject, session.sessionId),
        b.services.claims.redeem(session.subject, session.sessionId),
      ]);
      expect(fromB).toEqual(fromA);
    }

    const redemptions = await emulator.redemptions();
    expect(redemptions).toHaveLength(sessions.length);
    expect(new Set(redemptions.map(presentedToken)).size).toBe(sessions.length);
    expect(redemptions.every((entry) => entry.status === 200)).toBe(true);
    // Two passed claims spend two passes; the failed ones spend none. No pass was bought on demand.
    expect(await emulator.state()).toMatchObject({
      passesIssued: sessions.length,
      passesRedeemed: 2,
      doubleSpendRejected: 0,
      claimsGenerated: sessions.length,
    });
  });
});

describe.skipIf(POSTGRES_URL === undefined)('two instances on one PostgreSQL: session limits', () => {
  const LIMITS = { sessionsPerSubjectPerHour: 100, sessionsPerClientPerHour: 3, sessionsPerHour: 7 };
  const world = twoInstancesOnPostgres({ limits: LIMITS });

  /** Creates one session per subject, alternating instances, all at once; how many each client got. */
  async function raceCreations(requests: ReadonlyArray<{ subject: string; client: string }>): Promise<Map<string, number>> {
    const outcomes = await Promise.allSettled(
      requests.map(({ subject, client }, i) => world.instances[i % 2]!.services.sessions.create(subject, undefined, { client })),
    );
    const created = new Map<string, number>();
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') {
        expect(isRelayError(outcome.reason, RelayErrorCode.RATE_LIMITED), String(outcome.reason)).toBe(true);
        return;
      }
      const { client } = requests[i]!;
      created.set(client, (created.get(client) ?? 0) + 1);
    });
    return created;
  }

  it('holds the per-client and the global limit exactly while both instances create at once', async () => {
    const { emulator, instances } = world;
    // Persona takes a while to create each relay: every creation is in flight while the others are decided.
    await emulator.fault({ endpoint: 'relays', mode: 'delay', delayMs: 200, times: 40 });
    const oneClient = await raceCreations(Array.from({ length: 16 }, (_, i) => ({ subject: `visitor-${i}`, client: '203.0.113.7' })));
    expect(oneClient.get('203.0.113.7')).toBe(LIMITS.sessionsPerClientPerHour);

    const manyClients = await raceCreations(Array.from({ length: 16 }, (_, i) => ({ subject: `user-${i}`, client: `198.51.100.${i}` })));
    const total = [...manyClients.values()].reduce((sum, n) => sum + n, 0) + LIMITS.sessionsPerClientPerHour;
    expect(total).toBe(LIMITS.sessionsPerHour);
    await Promise.all(instances.map((instance) => instance.services.drain()));
    expect(await emulator.state()).toMatchObject({ relays: LIMITS.sessionsPerHour, passesIssued: LIMITS.sessionsPerHour });
  });
});
