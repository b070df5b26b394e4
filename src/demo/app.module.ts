import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import type { RunningEmulator } from '../emulator/index.js';
import { RelayModule, type RelayModuleOptions } from '../nestjs/index.js';
import { DEMO_PAGE, DemoController, type DemoPage } from './demo.controller.js';
import { DEMO_METRICS, MetricsController, type DemoMetrics } from './metrics.js';
import { createRestrictedController } from './restricted.controller.js';

const DEMO_EMULATOR = Symbol('persona-relay-demo:emulator');

/**
 * Closes the in-process emulator when the app shuts down (`app.close()` or a signal with shutdown hooks on).
 * Nest runs shutdown hooks of imported modules first, so `RelayModule` has stopped talking to the emulator
 * by the time it goes away.
 */
@Injectable()
class EmulatorShutdown implements OnApplicationShutdown {
  constructor(@Inject(DEMO_EMULATOR) private readonly emulator: RunningEmulator) {}

  async onApplicationShutdown(): Promise<void> {
    await this.emulator.close();
  }
}

/** Everything {@link AppModule.forRoot} wires together. */
export interface DemoAppOptions {
  /** Passed to `RelayModule.forRoot`; whatever is missing comes from the environment. */
  readonly relay: RelayModuleOptions;
  readonly page: DemoPage;
  /** An emulator started for this app; closed with it. */
  readonly emulator?: RunningEmulator;
  /** Served at `GET /metrics`; its meter provider must be the relay's (`relay.meterProvider`). */
  readonly metrics: DemoMetrics;
}

/**
 * The demo app: `RelayModule` (routes under `/relay`), the page, the gated `/restricted` and `/metrics`.
 * A dynamic module because the relay options depend on the emulator's port, known only once it listens.
 */
@Module({})
export class AppModule {
  static forRoot(options: DemoAppOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: DEMO_PAGE, useValue: options.page },
      { provide: DEMO_METRICS, useValue: options.metrics.exporter },
    ];
    if (options.emulator) providers.push({ provide: DEMO_EMULATOR, useValue: options.emulator }, EmulatorShutdown);
    return {
      module: AppModule,
      imports: [RelayModule.forRoot(options.relay)],
      controllers: [DemoController, MetricsController, createRestrictedController(options.page.claimType)],
      providers,
    };
  }
}
