import type { RelayOptions, ResolvedRelayOptions } from '../core/config/index.js';
import { loadOptionsFromEnv, resolveRelayOptions } from '../core/config/index.js';
import { RelayError, RelayErrorCode, isRelayError } from '../core/errors.js';
import type { RelayStorage } from '../core/storage/index.js';
import { createRelayDataSource, createTypeOrmStorage } from '../typeorm/index.js';
import type { RelayModuleOptions } from './relay-module-options.js';

/** Keys of {@link RelayModuleOptions} that wire the module rather than configure the core. */
const WIRING_KEYS: ReadonlySet<string> = new Set([
  'storage',
  'dataSource',
  'resolveSubject',
  'anonymousVisitors',
  'cookie',
  'logger',
  'anonymousAgent',
  'engine',
]);

/**
 * The core options of the module: the environment first, then what the
 * module was given (`undefined` values do not override). Every problem is
 * reported at once in one `INVALID_CONFIG` error, including the options the
 * module cannot run without (API key, storage key), which the core options
 * alone leave to the caller. Messages name options, never their values.
 *
 * @throws RelayError `INVALID_CONFIG` with one `option: problem` line per problem
 */
export function resolveModuleOptions(moduleOptions: RelayModuleOptions | undefined): ResolvedRelayOptions {
  const given = Object.fromEntries(
    Object.entries(moduleOptions ?? {}).filter(([key, value]) => value !== undefined && !WIRING_KEYS.has(key)),
  ) as RelayOptions;
  const input: RelayOptions = { ...loadOptionsFromEnv(), ...given };
  const problems: string[] = [];
  let resolved: ResolvedRelayOptions | undefined;
  try {
    resolved = resolveRelayOptions(input);
  } catch (error) {
    if (!isRelayError(error, RelayErrorCode.INVALID_CONFIG)) throw error;
    problems.push(...((error.context.problems as string[] | undefined) ?? [error.message]));
  }
  problems.push(...missingRequiredOptions(input));
  if (problems.length > 0 || !resolved) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    throw new RelayError(
      RelayErrorCode.INVALID_CONFIG,
      `Invalid persona-relay configuration (${count}):\n${problems.join('\n')}`,
      { context: { problems } },
    );
  }
  return resolved;
}

/** Options without a default that the module needs, when neither the options nor the environment give them. */
function missingRequiredOptions(input: RelayOptions): string[] {
  const missing: string[] = [];
  if (isBlank(input.apiKey)) missing.push('apiKey: required to issue Privacy Passes (set PERSONA_API_KEY)');
  if (isBlank(input.storageKey) && input.storageKeys === undefined) {
    missing.push('storageKey: required to encrypt secrets at rest, base64 of 32 bytes (set RELAY_STORAGE_KEY)');
  }
  return missing;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
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
 * the module closes on shutdown.
 */
export async function openStorage(
  moduleOptions: RelayModuleOptions | undefined,
  options: ResolvedRelayOptions,
): Promise<StorageHandle> {
  if (moduleOptions?.storage) return { storage: moduleOptions.storage, close: async () => undefined };
  if (moduleOptions?.dataSource) return { storage: createTypeOrmStorage(moduleOptions.dataSource), close: async () => undefined };
  const dataSource = createRelayDataSource({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  await dataSource.initialize();
  return { storage: createTypeOrmStorage(dataSource), close: () => dataSource.destroy() };
}
