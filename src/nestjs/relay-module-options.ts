import type { Agent } from 'node:http';
import type { MeterProvider } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import type { RelayOptions } from '../core/config/index.js';
import type { BlindRsaEngine, KeyPairGenerator } from '../core/crypto/index.js';
import type { RelayLogger } from '../core/logger.js';
import type { RelayStorage } from '../core/storage/index.js';
import type { ResolveSubject } from '../http/subject.js';
import type { SubjectCookieOptions } from '../http/subject-cookie.js';

/**
 * Options of `RelayModule.forRoot()` / `forRootAsync()`: every
 * {@link RelayOptions} field (what you leave out is read from the environment,
 * see the README's configuration table) plus the {@link RelayModuleWiring}.
 */
export interface RelayModuleOptions extends RelayOptions, RelayModuleWiring {}

/** What wires the module rather than configures the core. */
export interface RelayModuleWiring {
  /**
   * Storage. Default: TypeORM on `databaseUrl` (PostgreSQL) or embedded PGlite
   * in `dataDir`, with the shipped migrations. Pass a {@link RelayStorage} (for
   * example `createMemoryStorage()`) or your own `dataSource`.
   */
  readonly storage?: RelayStorage;
  /** Your app's TypeORM DataSource; it must include `RELAY_ENTITIES` and `RELAY_MIGRATIONS`. */
  readonly dataSource?: DataSource;
  /** Maps a request to its subject; default `req.user.id`, else the signed anonymous-visitor cookie. */
  readonly resolveSubject?: ResolveSubject;
  /** Give anonymous visitors a signed cookie (`__Host-relay_sid`, or `relay_sid` when not Secure) as their subject (default true). */
  readonly anonymousVisitors?: boolean;
  readonly cookie?: SubjectCookieOptions;
  /** Logger; default Nest's `Logger` with context `PersonaRelay`. */
  readonly logger?: RelayLogger;
  /** Agent for anonymous Persona calls (for example a proxy agent). */
  readonly anonymousAgent?: Agent;
  /** Blind RSA engine instance (advanced; default from `blindRsaEngine`). */
  readonly engine?: BlindRsaEngine;
  /** Where the metrics go; default OpenTelemetry's global meter provider (see the README's "Metrics" section). */
  readonly meterProvider?: MeterProvider;
  /** Generates per-relay key pairs (advanced; default worker threads, see `createRelayServices`). */
  readonly keyPairGenerator?: KeyPairGenerator;
}

/** Options that shape the module itself and so must be known before any factory runs. */
export interface RelayModuleExtras {
  /** Register the module globally (default false). */
  readonly isGlobal?: boolean;
  /** Extra providers registered in (and exported from) the module. */
  readonly extraProviders?: import('@nestjs/common').Provider[];
  /** Route prefix of the controller (default `relay`). */
  readonly routePrefix?: string;
  /** Mount the controller (default true). */
  readonly controller?: boolean;
}

/**
 * What a `forRootAsync({ useClass })` or `({ useExisting })` provider
 * implements.
 *
 * @example
 * ```ts
 * @Injectable()
 * class RelayConfig implements RelayOptionsFactory {
 *   constructor(private readonly config: ConfigService) {}
 *   createRelayOptions(): RelayModuleOptions {
 *     return { apiKey: this.config.getOrThrow('PERSONA_API_KEY'), storageKey: this.config.getOrThrow('RELAY_STORAGE_KEY') };
 *   }
 * }
 *
 * RelayModule.forRootAsync({ imports: [ConfigModule], useClass: RelayConfig });
 * ```
 */
export interface RelayOptionsFactory {
  createRelayOptions(): RelayModuleOptions | Promise<RelayModuleOptions>;
}
