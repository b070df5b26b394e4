/**
 * Test databases for the TypeORM storage: embedded PGlite in memory, and
 * a private schema on the PostgreSQL named by RELAY_TEST_POSTGRES_URL.
 */
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createRelayDataSource } from '../../../../src/typeorm/index.js';

/** The PostgreSQL the tests may use; unset skips the PostgreSQL tests. */
export const POSTGRES_URL = process.env['RELAY_TEST_POSTGRES_URL'];

const RELAY_TABLES = [
  'persona_relay_verified_claim',
  'persona_relay_idempotency_record',
  'persona_relay_pre_issued_token',
  'persona_relay_relay_secret',
  'persona_relay_session_slot',
  'persona_relay_key_reserve',
];

/** Empties persona-relay's tables (tests must not see each other's rows). */
export async function truncateRelayTables(dataSource: DataSource): Promise<void> {
  await dataSource.query(`TRUNCATE ${RELAY_TABLES.map((table) => `"${table}"`).join(', ')}`);
}

/** A schema of its own on the test PostgreSQL, so that parallel test files never share tables. */
export interface PostgresTestSchema {
  /** The database URL with this schema as `search_path`. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

async function adminQuery(text: string): Promise<void> {
  const admin = await new DataSource({ type: 'postgres', url: POSTGRES_URL }).initialize();
  try {
    await admin.query(text);
  } finally {
    await admin.destroy();
  }
}

export async function createPostgresTestSchema(): Promise<PostgresTestSchema> {
  if (POSTGRES_URL === undefined) throw new Error('RELAY_TEST_POSTGRES_URL is not set');
  const name = `relay_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE SCHEMA "${name}"`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: url.toString(),
    name,
    drop: () => adminQuery(`DROP SCHEMA "${name}" CASCADE`),
  };
}

/** An initialized relay data source (migrations applied) on a fresh in-memory PGlite. */
export function openPgliteDataSource(): Promise<DataSource> {
  return createRelayDataSource({ dataDir: 'memory://' }).initialize();
}
