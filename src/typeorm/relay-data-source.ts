import { DataSource, type LoggerOptions } from 'typeorm';
import { embeddedDataSourceOptions, type PostgresDataSourceOptions } from './embedded/index.js';
import { RELAY_ENTITIES } from './entities/index.js';
import { RELAY_MIGRATIONS } from './migrations/index.js';

/** Where persona-relay keeps its tables. */
export interface RelayDatabaseOptions {
  /** PostgreSQL connection URL; when set, PostgreSQL is used and `dataDir` is ignored. */
  readonly databaseUrl?: string;
  /** PGlite data directory when there is no URL; `'memory://'` (the default) keeps nothing. */
  readonly dataDir?: string;
  readonly logging?: LoggerOptions;
}

/**
 * Data source options for persona-relay's own tables: PostgreSQL when a URL
 * is given, else embedded PGlite; the shipped migrations run when the data
 * source initializes, and `synchronize` is never used.
 *
 * @example
 * ```ts
 * // ormconfig.ts for the TypeORM CLI, which runs migrations itself:
 * export default new DataSource({
 *   ...relayDataSourceOptions({ databaseUrl: process.env.DATABASE_URL }),
 *   migrationsRun: false,
 * });
 * ```
 */
export function relayDataSourceOptions(options: RelayDatabaseOptions = {}): PostgresDataSourceOptions {
  const common = {
    entities: RELAY_ENTITIES,
    migrations: RELAY_MIGRATIONS,
    migrationsRun: true,
    synchronize: false,
    logging: options.logging ?? false,
  } as const;
  if (options.databaseUrl !== undefined && options.databaseUrl !== '') {
    return { type: 'postgres', url: options.databaseUrl, ...common };
  }
  return { ...embeddedDataSourceOptions({ dataDir: options.dataDir, entities: RELAY_ENTITIES }), ...common };
}

/**
 * The data source persona-relay's storage runs on, not yet initialized;
 * `initialize()` connects and applies pending migrations.
 *
 * @example
 * ```ts
 * const dataSource = await createRelayDataSource({ databaseUrl: process.env.DATABASE_URL }).initialize();
 * const storage = createTypeOrmStorage(dataSource);
 * // … on shutdown:
 * await dataSource.destroy();
 * ```
 */
export function createRelayDataSource(options: RelayDatabaseOptions = {}): DataSource {
  return new DataSource(relayDataSourceOptions(options));
}
