import { Inject, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationBootstrap, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { ResolvedRelayOptions } from '../core/config/index.js';
import type { RelayLogger } from '../core/logger.js';
import { ClaimService } from '../core/services/claim.service.js';
import { PrivacyPassService } from '../core/services/privacy-pass.service.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { createRelayServices } from '../core/services/relay-services.js';
import { SessionService } from '../core/services/session.service.js';
import { TokenPool } from '../core/services/token-pool.js';
import type { RelayStorage } from '../core/storage/index.js';
import { RelayHttp } from '../http/relay-http.js';
import { openRelayStorage } from '../typeorm/open-relay-storage.js';
import type { StorageHandle } from './module-options.js';
import { resolveModuleOptions } from './module-options.js';
import { createNestRelayLogger } from './nest-logger.js';
import type { RelayModuleOptions } from './relay-module-options.js';
import {
  RELAY_MODULE_ASYNC_OPTIONS_TYPE,
  RELAY_MODULE_OPTIONS,
  RELAY_MODULE_OPTIONS_TYPE,
  RelayConfigurableModule,
} from './relay.module-definition.js';
import { RelayHealthIndicator } from './relay.health.js';
import { RELAY_HTTP, RELAY_LOGGER, RELAY_OPTIONS, RELAY_SERVICES, RELAY_STORAGE } from './relay.tokens.js';

const RELAY_STORAGE_HANDLE = Symbol('persona-relay:storage-handle');

const providers: Provider[] = [
  { provide: RELAY_OPTIONS, inject: [RELAY_MODULE_OPTIONS], useFactory: resolveModuleOptions },
  {
    provide: RELAY_LOGGER,
    inject: [RELAY_MODULE_OPTIONS],
    useFactory: (moduleOptions: RelayModuleOptions | undefined) => moduleOptions?.logger ?? createNestRelayLogger(),
  },
  { provide: RELAY_STORAGE_HANDLE, inject: [RELAY_MODULE_OPTIONS, RELAY_OPTIONS], useFactory: openRelayStorage },
  { provide: RELAY_STORAGE, inject: [RELAY_STORAGE_HANDLE], useFactory: (handle: StorageHandle) => handle.storage },
  {
    provide: RELAY_SERVICES,
    inject: [RELAY_MODULE_OPTIONS, RELAY_OPTIONS, RELAY_STORAGE, RELAY_LOGGER],
    useFactory: (
      moduleOptions: RelayModuleOptions | undefined,
      options: ResolvedRelayOptions,
      storage: RelayStorage,
      logger: RelayLogger,
    ) =>
      createRelayServices({
        options,
        storage,
        logger,
        anonymousAgent: moduleOptions?.anonymousAgent,
        engine: moduleOptions?.engine,
        meterProvider: moduleOptions?.meterProvider,
        keyPairGenerator: moduleOptions?.keyPairGenerator,
      }),
  },
  {
    provide: RELAY_HTTP,
    inject: [RELAY_MODULE_OPTIONS, RELAY_SERVICES, RELAY_LOGGER],
    useFactory: (moduleOptions: RelayModuleOptions | undefined, services: RelayServices, logger: RelayLogger) => {
      if (moduleOptions?.anonymousVisitors !== false && services.options.cookieSecret === undefined) {
        logger.warn(
          'RELAY_COOKIE_SECRET is not set: anonymous-visitor cookies are signed with a random per-process secret, ' +
            'so other instances (and this one after a restart) will not accept them',
        );
      }
      return new RelayHttp(services, {
        resolveSubject: moduleOptions?.resolveSubject,
        anonymousVisitors: moduleOptions?.anonymousVisitors,
        cookie: moduleOptions?.cookie,
        logger,
      });
    },
  },
  RelayHealthIndicator,
  { provide: SessionService, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.sessions },
  { provide: PrivacyPassService, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.passes },
  { provide: ClaimService, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.claims },
  { provide: TokenPool, inject: [RELAY_SERVICES], useFactory: (s: RelayServices) => s.pool },
];

/**
 * Persona Relay for NestJS: provides and exports `SessionService`,
 * `PrivacyPassService`, `ClaimService`, `TokenPool`, the stores
 * (`RELAY_STORAGE`), the options (`RELAY_OPTIONS`) and the optional
 * `RelayHealthIndicator`, and mounts the relay routes (prefix `relay` by
 * default). `@RequireClaim` works in every module of the app.
 *
 * With no options (or options leaving things out) it reads the environment
 * (`PERSONA_API_KEY`, `RELAY_STORAGE_KEY`, `DATABASE_URL`, …) and validates
 * the result at startup, reporting every problem at once. On bootstrap it
 * resumes redemptions a crashed instance left behind; on shutdown it stops
 * its background work and closes the database it opened.
 *
 * @example
 * ```ts
 * @Module({ imports: [RelayModule.forRoot({ claimType: 'age_over18_verified' })] })
 * export class AppModule {}
 *
 * // or, configured from the environment only:
 * @Module({ imports: [RelayModule.forRoot()] })
 * export class AppModule {}
 *
 * // or from another provider:
 * RelayModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config) => ({ … }) });
 * ```
 */
@Module({
  providers,
  exports: [
    RELAY_OPTIONS,
    RELAY_STORAGE,
    RELAY_SERVICES,
    RELAY_HTTP,
    SessionService,
    PrivacyPassService,
    ClaimService,
    TokenPool,
    RelayHealthIndicator,
  ],
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
