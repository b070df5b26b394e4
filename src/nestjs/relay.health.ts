import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { describeError } from '../core/logger.js';
import type { RelayServices } from '../core/services/relay-services.js';
import { loadTerminus } from './load-on-demand.js';
import { RELAY_SERVICES } from './relay.tokens.js';

/** Status of one health indicator, as `@nestjs/terminus` reports it. */
export type RelayHealthStatus = 'up' | 'degraded' | 'down';

/** What {@link RelayHealthIndicator.isHealthy} reports under its key (a terminus `HealthIndicatorResult`). */
export interface RelayHealthDetails {
  readonly status: RelayHealthStatus;
  /** Whether the database answered. */
  readonly database: 'up' | 'down';
  readonly issuance: 'at-creation' | 'pool';
  /** Usable AVAILABLE passes per allowed claim type (absent when the database did not answer). */
  readonly passes?: Readonly<Record<string, number>>;
  /** Why the database check failed (secret-free). */
  readonly message?: string;
}

/**
 * An optional `@nestjs/terminus` health indicator for Persona Relay:
 *
 * - `down` when the database does not answer (`storage.ping()`),
 * - `degraded` in `pool` issuance mode when a claim type has no usable pass
 *   left (redemptions still work, but issue on demand, right before they
 *   redeem, so their timing could link the identified issuance to the anonymous redemption),
 * - `up` otherwise, with the pool depth per claim type.
 *
 * `@nestjs/terminus` stays optional: this file imports it only inside
 * {@link RelayHealthIndicator.isHealthy} (a dynamic import), so importing
 * `persona-relay/nestjs` never loads it. `RelayModule` provides and exports
 * the indicator; it also works when listed in another module's providers,
 * as it finds the relay services through `ModuleRef`.
 *
 * @example
 * ```ts
 * @Controller('health')
 * class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly relay: RelayHealthIndicator) {}
 *
 *   @Get()
 *   @HealthCheck()
 *   check() {
 *     return this.health.check([() => this.relay.isHealthy('persona-relay')]);
 *   }
 * }
 *
 * @Module({ imports: [TerminusModule.forRoot(), RelayModule.forRoot()], controllers: [HealthController] })
 * class AppModule {}
 * ```
 */
@Injectable()
export class RelayHealthIndicator {
  private services: RelayServices | undefined;

  constructor(private readonly moduleRef: ModuleRef) {}

  /**
   * Checks the database and the pass supply; the result is keyed by `key`.
   *
   * @throws Error when `@nestjs/terminus` is not installed
   */
  async isHealthy<const Key extends string = 'persona-relay'>(
    key: Key = 'persona-relay' as Key,
  ): Promise<Record<Key, RelayHealthDetails>> {
    const indicator = (await this.indicatorService()).check(key);
    const { storage, options, pool } = this.relayServices();
    const issuance = options.issuance;
    try {
      await storage.ping();
    } catch (error) {
      const message = String(describeError(error).message);
      return indicator.down({ database: 'down', issuance, message }) as unknown as Record<Key, RelayHealthDetails>;
    }
    const passes: Record<string, number> = {};
    for (const claimType of options.allowedClaimTypes) passes[claimType] = await pool.depth(claimType);
    const starved = issuance === 'pool' && Object.values(passes).some((depth) => depth === 0);
    const details = { database: 'up' as const, issuance, passes };
    const result = starved ? indicator.degraded(details) : indicator.up(details);
    return result as unknown as Record<Key, RelayHealthDetails>;
  }

  private relayServices(): RelayServices {
    this.services ??= this.moduleRef.get<RelayServices>(RELAY_SERVICES, { strict: false });
    return this.services;
  }

  /** Terminus's `HealthIndicatorService`: the app's when `TerminusModule` is imported, else a fresh one. */
  private async indicatorService() {
    let terminus: typeof import('@nestjs/terminus');
    try {
      terminus = await loadTerminus();
    } catch (error) {
      throw new Error('RelayHealthIndicator needs @nestjs/terminus: npm install @nestjs/terminus', { cause: error });
    }
    try {
      return this.moduleRef.get(terminus.HealthIndicatorService, { strict: false });
    } catch {
      return new terminus.HealthIndicatorService();
    }
  }
}
