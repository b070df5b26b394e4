import type { RelayOptions, ResolvedRelayOptions } from '../core/config/index.js';
import { loadOptionsFromEnv, resolveRelayOptions } from '../core/config/index.js';
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

export type { StorageHandle } from '../typeorm/open-relay-storage.js';
