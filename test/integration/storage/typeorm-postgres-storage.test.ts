import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDataSource, createTypeOrmStorage } from '../../../src/typeorm/index.js';
import { describeStorageContract } from './storage-contract.js';
import {
  createPostgresTestSchema,
  POSTGRES_URL,
  truncateRelayTables,
  type PostgresTestSchema,
} from './support/relay-test-databases.js';
import { typeOrmInspector } from './support/storage-inspector.js';

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeStorageContract('TypeORM on PostgreSQL', async () => {
    const schema = await createPostgresTestSchema();
    const dataSource = await createRelayDataSource({ databaseUrl: schema.url }).initialize();
    const inspected = { storage: createTypeOrmStorage(dataSource), inspect: typeOrmInspector(dataSource) };
    return {
      async fresh() {
        await truncateRelayTables(dataSource);
        return inspected;
      },
      async dispose() {
        await dataSource.destroy();
        await schema.drop();
      },
    };
  });

  describe('two app instances on one database', () => {
    let schema: PostgresTestSchema;
    let instances: DataSource[];

    beforeAll(async () => {
      schema = await createPostgresTestSchema();
      // The first instance migrates; the second finds the schema up to date.
      instances = [await createRelayDataSource({ databaseUrl: schema.url }).initialize()];
      instances.push(await createRelayDataSource({ databaseUrl: schema.url }).initialize());
    });
    afterAll(async () => {
      await Promise.all(instances.map((instance) => instance.destroy()));
      await schema.drop();
    });

    it('lets exactly one racing begin per session start, and reserves each pass once', async () => {
      const [a, b] = instances.map((instance) => createTypeOrmStorage(instance));
      const now = new Date('2030-01-01T00:00:00.000Z');
      const sessionIds = Array.from({ length: 6 }, () => randomUUID());
      for (const id of sessionIds) {
        await a.sessions.insert({
          id,
          subject: 'subject-1',
          claimType: 'age_over_18',
          environment: 'sandbox',
          relayTokenSealed: 't',
          relaySecretSealed: 's',
          privateKeySealed: null,
          state: 'open',
          createdAt: now,
          expiresAt: new Date(now.getTime() + 30 * 60_000),
        });
      }
      for (let i = 0; i < 4; i += 1) {
        await b.passes.insert({
          id: randomUUID(),
          tokenSealed: 'p',
          keyId: 'k',
          claimType: 'age_over_18',
          environment: 'sandbox',
          expiresAt: new Date(now.getTime() + 60 * 60_000),
          state: 'AVAILABLE',
          sessionId: null,
          reservedBy: null,
          createdAt: now,
        });
      }
      // Ten racers per session, alternating instances: 60 transactions on two pools.
      const results = await Promise.all(
        sessionIds.flatMap((sessionId) =>
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? a : b).redemptions.begin({
              sessionId,
              claimType: 'age_over_18',
              environment: 'sandbox',
              usableAfter: now,
              key: randomUUID(),
              leaseOwner: `instance-${i % 2}`,
              leaseExpiresAt: new Date(now.getTime() + 60_000),
              now,
            }),
          ),
        ),
      );

      const startedPerSession = new Map<string, number>();
      const reservedPasses: string[] = [];
      for (const result of results) {
        if (result.kind !== 'started') continue;
        startedPerSession.set(result.record.sessionId, (startedPerSession.get(result.record.sessionId) ?? 0) + 1);
        reservedPasses.push(result.pass.id);
      }
      expect([...startedPerSession.values()].every((count) => count === 1)).toBe(true);
      expect(reservedPasses).toHaveLength(4);
      expect(new Set(reservedPasses).size).toBe(4);
      const [inspectA, inspectB] = instances.map((instance) => typeOrmInspector(instance));
      expect(await inspectA.redemptions.countByState()).toMatchObject({ PENDING: 4 });
      expect(await inspectB.passes.countByState()).toMatchObject({ AVAILABLE: 0, RESERVED: 4 });
      // Every racer of a session that started saw the same winner.
      for (const result of results) {
        if (result.kind === 'existing') {
          expect(startedPerSession.get(result.record.sessionId)).toBe(1);
        }
      }
      await truncateRelayTables(instances[0]);
    });
  });
});
