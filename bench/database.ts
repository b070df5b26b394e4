/**
 * The databases the benchmarks run on: an in-memory PGlite, or a fresh schema
 * on a PostgreSQL server (dropped on close), with every SQL statement counted.
 */
import { randomBytes } from 'node:crypto';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import type { RelayStorage } from '../src/core/storage/index.js';
import { createTypeOrmStorage, relayDataSourceOptions } from '../src/typeorm/index.js';

export type BenchDatabase = 'pglite' | 'postgres';

/** Counts every SQL statement TypeORM sends. */
export class StatementCounter implements TypeOrmLogger {
  count = 0;
  logQuery(): void {
    this.count += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export interface OpenDatabase {
  readonly storage: RelayStorage;
  readonly counter: StatementCounter;
  close(): Promise<void>;
}

/** The databases a run covers: PGlite always, PostgreSQL when there is a server. */
export function benchDatabases(postgresUrl: string | undefined): BenchDatabase[] {
  return postgresUrl ? ['pglite', 'postgres'] : ['pglite'];
}

export async function openDatabase(database: BenchDatabase, postgresUrl: string | undefined): Promise<OpenDatabase> {
  const counter = new StatementCounter();
  let url: string | undefined;
  let dropSchema = async () => undefined as void;
  if (database === 'postgres') {
    if (!postgresUrl) throw new TypeError('the PostgreSQL scenarios need a server URL');
    const schema = `relay_bench_${randomBytes(5).toString('hex')}`;
    const admin = await new DataSource({ type: 'postgres', url: postgresUrl }).initialize();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.destroy();
    const withSchema = new URL(postgresUrl);
    withSchema.searchParams.set('options', `-c search_path=${schema}`);
    url = withSchema.toString();
    dropSchema = async () => {
      const cleanup = await new DataSource({ type: 'postgres', url: postgresUrl }).initialize();
      await cleanup.query(`DROP SCHEMA "${schema}" CASCADE`);
      await cleanup.destroy();
    };
  }
  const dataSource = await new DataSource({
    ...relayDataSourceOptions({ databaseUrl: url, dataDir: 'memory://' }),
    logging: ['query'],
    logger: counter,
  }).initialize();
  return {
    storage: createTypeOrmStorage(dataSource),
    counter,
    close: async () => {
      await dataSource.destroy();
      await dropSchema();
    },
  };
}
