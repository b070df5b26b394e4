import type { DataSource } from 'typeorm';
import type { ResolvedRelayOptions } from '../core/config/index.js';
import type { RelayStorage } from '../core/storage/index.js';
import { loadRelayDataSource, loadTypeOrmStores } from './load-on-demand.js';

/** What the app may hand over instead of letting persona-relay open its own database. */
export interface GivenStorage {
  /** Any storage; used as it is. */
  readonly storage?: RelayStorage;
  /** The app's TypeORM data source, including `RELAY_ENTITIES` and `RELAY_MIGRATIONS`. */
  readonly dataSource?: DataSource;
}

/** Storage plus how to release it if it was opened here. */
export interface StorageHandle {
  readonly storage: RelayStorage;
  close(): Promise<void>;
}

/**
 * The relay's storage: the one given, a TypeORM storage on the app's data
 * source, or a data source of its own (PostgreSQL on `databaseUrl`, else
 * embedded PGlite in `dataDir`) with the shipped migrations applied, which
 * `close()` destroys. It takes already validated `options`, so a bad
 * configuration fails before any database is opened.
 *
 * The TypeORM code is loaded on demand rather than imported at the top: an
 * app that passes its own `storage` needs neither TypeORM nor PGlite
 * installed, and one on PostgreSQL does not need PGlite.
 */
export async function openRelayStorage(given: GivenStorage | undefined, options: ResolvedRelayOptions): Promise<StorageHandle> {
  if (given?.storage) return { storage: given.storage, close: async () => undefined };
  if (given?.dataSource) {
    const { createTypeOrmStorage } = await withTypeOrm(loadTypeOrmStores);
    return { storage: createTypeOrmStorage(given.dataSource), close: async () => undefined };
  }
  const [{ createRelayDataSource }, { createTypeOrmStorage }] = await Promise.all([
    withTypeOrm(loadRelayDataSource),
    withTypeOrm(loadTypeOrmStores),
  ]);
  const dataSource = createRelayDataSource({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  await dataSource.initialize();
  return { storage: createTypeOrmStorage(dataSource), close: () => dataSource.destroy() };
}

/**
 * Runs a loader of TypeORM code; when TypeORM itself is not installed, fails
 * with what to install instead of Node's bare module-not-found error.
 */
export async function withTypeOrm<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && /['"]typeorm['"]/.test(String((error as Error).message));
    if (!missing) throw error;
    throw new Error(
      'The database storage needs the typeorm package: npm install typeorm pg (PostgreSQL) or typeorm @electric-sql/pglite (embedded), or give the relay a storage of your own',
      { cause: error },
    );
  }
}

