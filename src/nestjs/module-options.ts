import type { RelayOptions, ResolvedRelayOptions } from '../core/config/index.js';
import { loadOptionsFromEnv, resolveRelayOptions } from '../core/config/index.js';
import type { RelayStorage } from '../core/storage/index.js';
import { loadRelayDataSource, loadTypeOrmStores } from './load-on-demand.js';
import type { RelayModuleOptions, RelayModuleWiring } from './relay-module-options.js';

/** Keys of {@link RelayModuleOptions} that wire the module; the compiler keeps this list equal to {@link RelayModuleWiring}. */
const WIRING_KEYS: ReadonlySet<string> = new Set(
  Object.keys({
    storage: true,
    dataSource: true,
    resolveSubject: true,
    anonymousVisitors: true,
    cookie: true,
    logger: true,
    anonymousAgent: true,
    engine: true,
    meterProvider: true,
    keyPairGenerator: true,
  } satisfies Record<keyof RelayModuleWiring, true>),
);

/**
 * The core options of the module: the environment first, then what the module
 * was given, option by option (`undefined` values do not override). Every
 * problem, missing API key and storage key included, is reported at once in
 * one `INVALID_CONFIG` error; keys the module does not know are among them.
 *
 * @throws RelayError `INVALID_CONFIG` with one `option: problem` line per problem
 */
export function resolveModuleOptions(moduleOptions: RelayModuleOptions | undefined): ResolvedRelayOptions {
  const given = Object.fromEntries(Object.entries(moduleOptions ?? {}).filter(([key]) => !WIRING_KEYS.has(key))) as RelayOptions;
  return resolveRelayOptions(loadOptionsFromEnv(), given);
}

/** Storage plus how to release it if the module opened it. */
export interface StorageHandle {
  readonly storage: RelayStorage;
  close(): Promise<void>;
}

/**
 * The module's storage: the one given, a TypeORM storage on the app's data
 * source, or a data source of its own (PostgreSQL on `databaseUrl`, else
 * embedded PGlite in `dataDir`) with the shipped migrations applied, which
 * the module closes on shutdown. It takes the already validated `options`,
 * so a bad configuration fails before any database is opened.
 *
 * The TypeORM code is imported here, on demand, rather than at the top: an
 * app that passes its own `storage` needs neither TypeORM nor PGlite
 * installed, and one that passes its own `dataSource` does not need PGlite.
 */
export async function openStorage(
  moduleOptions: RelayModuleOptions | undefined,
  options: ResolvedRelayOptions,
): Promise<StorageHandle> {
  if (moduleOptions?.storage) return { storage: moduleOptions.storage, close: async () => undefined };
  if (moduleOptions?.dataSource) {
    const { createTypeOrmStorage } = await loadTypeOrmStores();
    return { storage: createTypeOrmStorage(moduleOptions.dataSource), close: async () => undefined };
  }
  const [{ createRelayDataSource }, { createTypeOrmStorage }] = await Promise.all([loadRelayDataSource(), loadTypeOrmStores()]);
  const dataSource = createRelayDataSource({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  await dataSource.initialize();
  return { storage: createTypeOrmStorage(dataSource), close: () => dataSource.destroy() };
}
