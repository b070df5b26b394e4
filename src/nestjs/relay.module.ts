import { Inject, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { ResolvedRelayOptions } from '../core/config/index.js';
import { loadOptionsFromEnv, resolveRelayOptions } from '../core/config/index.js';
import { ClaimService } from '../core/services/claim.service.js';
import { PrivacyPassService } from '../core/services/privacy-pass.service.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { createRelayServices } from '../core/services/relay-services.js';
import { SessionService } from '../core/services/session.service.js';
import { TokenPool } from '../core/services/token-pool.js';
import type { RelayStorage } from '../core/storage/index.js';
import { RelayHttp } from '../http/relay-http.js';
import { createRelayDataSource, createTypeOrmStorage } from '../typeorm/index.js';
import { createNestRelayLogger } from './nest-logger.js';
import type { RelayModuleOptions } from './relay-module-options.js';
import {
  RELAY_MODULE_ASYNC_OPTIONS_TYPE,
  RELAY_MODULE_OPTIONS,
  RELAY_MODULE_OPTIONS_TYPE,
  RelayConfigurableModule,
} from './relay.module-definition.js';
import { RELAY_HTTP, RELAY_OPTIONS, RELAY_SERVICES, RELAY_STORAGE } from './relay.tokens.js';

/** Storage plus how to release it if the module opened it. */
interface StorageHandle {
  readonly storage: RelayStorage;
  close(): Promise<void>;
}
const RELAY_STORAGE_HANDLE = Symbol('persona-relay:storage-handle');

/** Keys of {@link RelayModuleOptions} that wire the module rather than configure the core. */
const WIRING_KEYS = ['storage', 'dataSource', 'resolveSubject', 'anonymousVisitors', 'cookie', 'logger', 'anonymousAgent', 'engine'] as const;

/** Core options: the environment first, then what the module was given (undefined values do not override). */
function resolveModuleOptions(moduleOptions: RelayModuleOptions | undefined): ResolvedRelayOptions {
  const given = Object.fromEntries(
    Object.entries(moduleOptions ?? {}).filter(
      ([key, value]) => value !== undefined && !(WIRING_KEYS as readonly string[]).includes(key),
    ),
  );
  return resolveRelayOptions({ ...loadOptionsFromEnv(), ...given });
}

async function openStorage(moduleOptions: RelayModuleOptions | undefined, options: ResolvedRelayOptions): Promise<StorageHandle> {
  if (moduleOptions?.storage) return { storage: moduleOptions.storage, close: async () => undefined };
  if (moduleOptions?.dataSource) return { storage: createTypeOrmStorage(moduleOptions.dataSource), close: async () => undefined };
  const dataSource = createRelayDataSource({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  await dataSource.initialize();
  return { storage: createTypeOrmStorage(dataSource), close: () => dataSource.destroy() };
}

const providers: Provider[] = [
  { provide: RELAY_OPTIONS, inject: [RELAY_MODULE_OPTIONS], useFactory: resolveModuleOptions },
  { provide: RELAY_STORAGE_HANDLE, inject: [RELAY_MODULE_OPTIONS, RELAY_OPTIONS], useFactory: openStorage },
  { provide: RELAY_STORAGE, inject: [RELAY_STORAGE_HANDLE], useFactory: (handle: StorageHandle) => handle.storage },
  {
    provide: RELAY_SERVICES,
    inject: [RELAY_MODULE_OPTIONS, RELAY_OPTIONS, RELAY_STORAGE],
    useFactory: (moduleOptions: RelayModuleOptions | undefined, options: ResolvedRelayOptions, storage: RelayStorage) =>
      createRelayServices({
        options,
        storage,
        logger: moduleOptions?.logger ?? createNestRelayLogger(),
        anonymousAgent: moduleOptions?.anonymousAgent,
        engine: moduleOptions?.engine,
      }),
  },
  {
    provide: RELAY_HTTP,
    inject: [RELAY_MODULE_OPTIONS, RELAY_SERVICES],
    useFactory: (moduleOptions: RelayModuleOptions | undefined, services: RelayServices) =>
      new RelayHttp(services, {
        resolveSubject: moduleOptions?.resolveSubject,
        anonymousVisitors: moduleOptions?.anonymousVisitors,
        cookie: moduleOptions?.cookie,
      }),
  },
  { provide: SessionService, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.sessions },
  { provide: PrivacyPassService, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.passes },
  { provide: ClaimService, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.claims },
  { provide: TokenPool, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.pool },
];

/**
 * Persona Relay for NestJS: provides and exports `SessionService`,
 * `PrivacyPassService`, `ClaimService`, `TokenPool`, the stores
 * (`RELAY_STORAGE`) and the options (`RELAY_OPTIONS`), and mounts the relay
 * routes (prefix `relay` by default).
 *
 * @example
 * ```ts
 * @Module({ imports: [RelayModule.forRoot({ claimType: 'age_over18_verified' })] })
 * export class AppModule {}
 *
 * // or, configured from the environment only:
 * @Module({ imports: [RelayModule.forRoot()] })
 * export class AppModule {}
 * ```
 */
@Module({
  providers,
  exports: [RELAY_OPTIONS, RELAY_STORAGE, RELAY_SERVICES, RELAY_HTTP, SessionService, PrivacyPassService, ClaimService, TokenPool],
})
export class RelayModule extends RelayConfigurableModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(RELAY_SERVICES) private readonly services: RelayServices,
    @Inject(RELAY_STORAGE_HANDLE) private readonly storageHandle: StorageHandle,
  ) {
    super();
  }

  /** Configures the module; anything not given is read from the environment and validated. */
  static override forRoot(options: typeof RELAY_MODULE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }

  /** Configures the module from a factory, class or existing provider (`useFactory`, `useClass`, `useExisting`). */
  static override forRootAsync(options: typeof RELAY_MODULE_ASYNC_OPTIONS_TYPE): DynamicModule {
    return super.forRootAsync(options);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.services.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.services.close();
    await this.storageHandle.close();
  }
}
