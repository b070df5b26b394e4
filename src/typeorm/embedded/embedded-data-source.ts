import { DataSource, type DataSourceOptions, type LoggerOptions } from 'typeorm';
import { pglitePgDriver } from './pglite-pg-driver.js';

/** TypeORM's options for the `postgres` driver. */
export type PostgresDataSourceOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/** Options of {@link createEmbeddedDataSource}. */
export interface EmbeddedDataSourceOptions {
  /**
   * PGlite data directory (created if missing), or `'memory://'` (the
   * default) for a database that vanishes with the data source. One process
   * at a time: a `.persona-relay.lock` file in the directory makes a second
   * data source on it fail until the first is destroyed (or its process has
   * exited); several app instances need PostgreSQL.
   */
  readonly dataDir?: string;
  readonly entities: NonNullable<PostgresDataSourceOptions['entities']>;
  readonly migrations?: PostgresDataSourceOptions['migrations'];
  readonly logging?: LoggerOptions;
}

/**
 * The options of a TypeORM `postgres` data source that runs on an embedded
 * PGlite database instead of a PostgreSQL server (see `pglite-pg-driver.ts`
 * for how transactions are kept apart on PGlite's single session).
 * `synchronize` stays off: the schema comes from migrations.
 */
export function embeddedDataSourceOptions(options: EmbeddedDataSourceOptions): PostgresDataSourceOptions {
  return {
    type: 'postgres',
    driver: pglitePgDriver(options.dataDir ?? 'memory://'),
    entities: options.entities,
    migrations: options.migrations ?? [],
    synchronize: false,
    logging: options.logging ?? false,
  };
}

/**
 * A TypeORM data source on an embedded PGlite database, not yet initialized.
 * PGlite starts in a few seconds (WASM), so create one per process and reuse
 * it; `destroy()` closes the database.
 *
 * @example
 * ```ts
 * const dataSource = createEmbeddedDataSource({
 *   dataDir: '.relay-data',
 *   entities: RELAY_ENTITIES,
 *   migrations: RELAY_MIGRATIONS,
 * });
 * await dataSource.initialize();
 * await dataSource.runMigrations();
 * ```
 */
export function createEmbeddedDataSource(options: EmbeddedDataSourceOptions): DataSource {
  return new DataSource(embeddedDataSourceOptions(options));
}
