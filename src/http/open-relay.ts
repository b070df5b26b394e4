import type { RelayOptions, ResolvedRelayOptions } from '../core/config/index.js';
import { invalidConfigError, loadOptionsFromEnv, resolveRelayOptions } from '../core/config/index.js';
import { isRelayError, RelayErrorCode } from '../core/errors.js';
import { createConsoleLogger } from '../core/logger.js';
import type { RelayStorage } from '../core/storage/index.js';
import type { RelayServicesInit } from '../core/services/relay-services.js';
import { createRelayServices } from '../core/services/relay-services.js';
import { openRelayStorage } from '../typeorm/open-relay-storage.js';
import type { RelayAdapterOptions } from './node.js';
import type { RelayHttpOptions } from './relay-http.js';
import { subjectCookieProblems } from './subject-cookie.js';

/**
 * Options of {@link openRelay}: every core option (what you leave out is read
 * from the environment: `PERSONA_API_KEY`, `RELAY_STORAGE_KEY`,
 * `DATABASE_URL`, …), the adapters' request options, and what wires the core
 * (as for `createRelayServices`).
 */
export interface OpenRelayOptions
  extends RelayOptions,
    RelayHttpOptions,
    Pick<RelayServicesInit, 'anonymousAgent' | 'engine' | 'keyPairGenerator' | 'meterProvider'> {
  /** Route prefix of the adapters (default `/relay`). */
  readonly prefix?: string;
  /**
   * Storage. Default: TypeORM on `databaseUrl` (PostgreSQL) or embedded
   * PGlite in `dataDir`, with the shipped migrations applied. For your own
   * TypeORM data source, pass `createTypeOrmStorage(dataSource)`.
   */
  readonly storage?: RelayStorage;
}

/** A started relay: the options every adapter takes (`services` included), and how to stop it. */
export interface OpenedRelay extends RelayAdapterOptions {
  /** Stops background work, then closes the database if {@link openRelay} opened it. */
  close(): Promise<void>;
}

/** Keys of {@link OpenRelayOptions} that are no core option; the compiler keeps this list complete. */
const ADAPTER_KEYS: ReadonlySet<string> = new Set(
  Object.keys({
    prefix: true,
    resolveSubject: true,
    anonymousVisitors: true,
    cookie: true,
    logger: true,
    storage: true,
    anonymousAgent: true,
    engine: true,
    keyPairGenerator: true,
    meterProvider: true,
  } satisfies Record<Exclude<keyof OpenRelayOptions, keyof RelayOptions>, true>),
);

/**
 * Checks the whole configuration, then opens the database, wires the core and
 * starts its background work: the Express, Fastify and `node:http` adapters in
 * one call. Every problem, in the core options and the environment as in the
 * adapter options (`cookie`, `prefix`, …), is reported together in one
 * `INVALID_CONFIG` error before any database is opened or data directory
 * created.
 *
 * @throws RelayError `INVALID_CONFIG` with one `option: problem` line per problem
 *
 * @example
 * ```ts
 * const relay = await openRelay({ cookie: { sameSite: 'Strict' } });
 * app.use(relayRouter({ ...relay, handleErrors: true })); // persona-relay/express
 * process.once('SIGTERM', () => relay.close());
 * ```
 */
export async function openRelay(options: OpenRelayOptions = {}): Promise<OpenedRelay> {
  const resolved = resolveOpenRelayOptions(options);
  const logger = options.logger ?? createConsoleLogger();
  const storage = await openRelayStorage(options, resolved);
  const services = createRelayServices({
    options: resolved,
    storage: storage.storage,
    logger,
    anonymousAgent: options.anonymousAgent,
    engine: options.engine,
    keyPairGenerator: options.keyPairGenerator,
    meterProvider: options.meterProvider,
  });
  const close = async () => {
    await services.close();
    await storage.close();
  };
  try {
    await services.start();
  } catch (error) {
    await close();
    throw error;
  }
  const { prefix, resolveSubject, anonymousVisitors, cookie } = options;
  return { services, prefix, resolveSubject, anonymousVisitors, cookie, logger, close };
}

/** The core options, resolved, or one `INVALID_CONFIG` naming their problems and the adapter options' together. */
function resolveOpenRelayOptions(options: OpenRelayOptions): ResolvedRelayOptions {
  const adapterProblems = adapterOptionProblems(options);
  const coreOptions = Object.fromEntries(Object.entries(options).filter(([key]) => !ADAPTER_KEYS.has(key))) as RelayOptions;
  let resolved: ResolvedRelayOptions;
  try {
    resolved = resolveRelayOptions(loadOptionsFromEnv(), coreOptions);
  } catch (error) {
    if (adapterProblems.length === 0 || !isRelayError(error, RelayErrorCode.INVALID_CONFIG)) throw error;
    throw invalidConfigError([...(error.context.problems as string[]), ...adapterProblems]);
  }
  if (adapterProblems.length > 0) throw invalidConfigError(adapterProblems);
  return resolved;
}

/** `option: problem` lines for the options only the adapters read. */
function adapterOptionProblems(options: OpenRelayOptions): string[] {
  const problems: string[] = [];
  if (options.prefix !== undefined && typeof options.prefix !== 'string') problems.push('prefix: must be a string');
  if (options.resolveSubject !== undefined && typeof options.resolveSubject !== 'function') {
    problems.push('resolveSubject: must be a function');
  }
  if (options.anonymousVisitors !== undefined && typeof options.anonymousVisitors !== 'boolean') {
    problems.push('anonymousVisitors: must be true or false');
  }
  if (options.cookie !== undefined) problems.push(...subjectCookieProblems(options.cookie).map((problem) => `cookie: ${problem}`));
  return problems;
}
