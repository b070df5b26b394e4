/**
 * The hand-written migration against the entities, on PGlite and (when
 * RELAY_TEST_POSTGRES_URL is set) on PostgreSQL: after migrating, TypeORM
 * finds nothing to change, every partial index and check means what the
 * entity says, the database itself refuses a second PENDING redemption, and
 * `down` removes everything.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRelayDataSource, RELAY_ENTITIES } from '../../../src/typeorm/index.js';
import {
  createPostgresTestSchema,
  openPgliteDataSource,
  POSTGRES_URL,
  truncateRelayTables,
  type PostgresTestSchema,
} from './support/relay-test-databases.js';

/** Index name → `{ unique, predicate }`, and check name → definition, as PostgreSQL prints them. */
interface TableRules {
  readonly indexes: Record<string, { unique: boolean; predicate: string | null }>;
  readonly checks: Record<string, string>;
}

async function readRules(manager: EntityManager, table: string): Promise<TableRules> {
  const indexRows: Array<{ name: string; unique: boolean; predicate: string | null }> = await manager.query(
    `SELECT c.relname AS name, i.indisunique AS unique, pg_get_expr(i.indpred, i.indrelid) AS predicate
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE i.indrelid = $1::regclass AND NOT i.indisprimary`,
    [table],
  );
  const checkRows: Array<{ name: string; definition: string }> = await manager.query(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition
       FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'`,
    [table],
  );
  return {
    indexes: Object.fromEntries(indexRows.map(({ name, unique, predicate }) => [name, { unique, predicate }])),
    checks: Object.fromEntries(checkRows.map(({ name, definition }) => [name, definition])),
  };
}

/**
 * The rules the entity metadata declares, as PostgreSQL prints them: built on
 * an empty copy of the table inside a transaction that is rolled back.
 */
async function declaredRules(dataSource: DataSource, entity: (typeof RELAY_ENTITIES)[number]): Promise<TableRules> {
  const metadata = dataSource.getMetadata(entity);
  const runner = dataSource.createQueryRunner();
  await runner.startTransaction();
  try {
    const copy = `declared_${metadata.tableName}`;
    await runner.query(`CREATE TEMP TABLE "${copy}" (LIKE "${metadata.tableName}")`);
    for (const check of metadata.checks) {
      await runner.query(`ALTER TABLE "${copy}" ADD CONSTRAINT "${check.name}" CHECK (${check.expression})`);
    }
    for (const index of metadata.indices) {
      const columns = index.columns.map((column) => `"${column.databaseName}"`).join(', ');
      await runner.query(
        `CREATE ${index.isUnique ? 'UNIQUE ' : ''}INDEX "${index.name}" ON "${copy}" (${columns})` +
          (index.where === undefined ? '' : ` WHERE ${index.where}`),
      );
    }
    return await readRules(runner.manager, `pg_temp."${copy}"`);
  } finally {
    await runner.rollbackTransaction();
    await runner.release();
  }
}

function describeSchemaAgreement(name: string, open: () => Promise<{ dataSource: DataSource; dispose(): Promise<void> }>) {
  describe(`relay schema on ${name}`, () => {
    let dataSource: DataSource;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      ({ dataSource, dispose } = await open());
    });
    afterAll(async () => {
      await dispose?.();
    });

    it('leaves TypeORM nothing to change after the migration', async () => {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
    });

    it.each(RELAY_ENTITIES.map((entity) => [entity.name, entity] as const))(
      'gives %s the partial indexes and checks its entity declares',
      async (_, entity) => {
        const table = dataSource.getMetadata(entity).tableName;
        const migrated = await readRules(dataSource.manager, `"${table}"`);
        expect(migrated).toEqual(await declaredRules(dataSource, entity));
      },
    );

    it('refuses a second PENDING redemption of a session in the database itself', async () => {
      const sessionId = randomUUID();
      const passIds = [randomUUID(), randomUUID(), randomUUID()];
      const now = new Date();
      await dataSource.query(
        `INSERT INTO persona_relay_relay_secret
           (id, subject, claim_type, environment, relay_token_sealed, relay_secret_sealed, state, created_at, expires_at)
         VALUES ($1, 's', 'c', 'sandbox', 't', 's', 'open', $2, $2)`,
        [sessionId, now],
      );
      for (const passId of passIds) {
        await dataSource.query(
          `INSERT INTO persona_relay_pre_issued_token
             (id, token_sealed, key_id, claim_type, environment, expires_at, state, created_at)
           VALUES ($1, 'p', 'k', 'c', 'sandbox', $2, 'RESERVED', $2)`,
          [passId, now],
        );
      }
      const insertRecord = (passId: string, state: string) =>
        dataSource.query(
          `INSERT INTO persona_relay_idempotency_record (key, session_id, pass_id, state, attempts, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 0, $5, $5)`,
          [randomUUID(), sessionId, passId, state, now],
        );
      await insertRecord(passIds[0]!, 'PENDING');
      await expect(insertRecord(passIds[1]!, 'PENDING')).rejects.toMatchObject({
        driverError: { code: '23505', constraint: 'UQ_persona_relay_idempotency_record_pending_session' },
      });
      // Finished redemptions of the session are not limited.
      await insertRecord(passIds[1]!, 'FAILED_FINAL');
      await insertRecord(passIds[2]!, 'UNKNOWN');
      await truncateRelayTables(dataSource);
    });

    it('marks a session holding a claim as claimed when upgrading to the key reserve', async () => {
      await dataSource.undoLastMigration(); // back to the schema before the key reserve
      const [open, claimed] = [randomUUID(), randomUUID()];
      const now = new Date();
      for (const id of [open, claimed]) {
        await dataSource.query(
          `INSERT INTO persona_relay_relay_secret
             (id, subject, claim_type, environment, relay_token_sealed, relay_secret_sealed, state, created_at, expires_at)
           VALUES ($1, 's', 'c', 'sandbox', 't', 's', 'open', $2, $2)`,
          [id, now],
        );
      }
      await dataSource.query(
        `INSERT INTO persona_relay_verified_claim (session_id, subject, claim_type, result, verified_at)
         VALUES ($1, 's', 'c', 'passed', $2)`,
        [claimed, now],
      );
      await dataSource.runMigrations();
      const states: Array<{ id: string; state: string }> = await dataSource.query(
        `SELECT id, state FROM persona_relay_relay_secret`,
      );
      expect(Object.fromEntries(states.map(({ id, state }) => [id, state]))).toEqual({ [open]: 'open', [claimed]: 'claimed' });
      await truncateRelayTables(dataSource);
    });

    it('removes every table on down, and builds them again on up', async () => {
      for (let i = 0; i < dataSource.migrations.length; i += 1) await dataSource.undoLastMigration();
      const tables: Array<{ name: string }> = await dataSource.query(
        `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'persona_relay_%'`,
      );
      expect(tables).toEqual([]);
      await dataSource.runMigrations();
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  });
}

describeSchemaAgreement('embedded PGlite', async () => {
  const dataSource = await openPgliteDataSource();
  return { dataSource, dispose: () => dataSource.destroy() };
});

describe.skipIf(POSTGRES_URL === undefined)('PostgreSQL', () => {
  describeSchemaAgreement('PostgreSQL', async () => {
    const schema: PostgresTestSchema = await createPostgresTestSchema();
    const dataSource = await createRelayDataSource({ databaseUrl: schema.url }).initialize();
    return {
      dataSource,
      async dispose() {
        await dataSource.destroy();
        await schema.drop();
      },
    };
  });
});
