/**
 * The optional @nestjs/terminus health indicator: up with the pool depth,
 * degraded when a pool runs dry, down when the database does not answer;
 * usable from a health module that does not import RelayModule.
 */
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RelayError, RelayErrorCode } from '../../src/core/errors.js';
import type { RelayStorage } from '../../src/core/storage/index.js';
import { createMemoryStorage } from '../../src/core/storage/index.js';
import type { RelayModuleOptions } from '../../src/nestjs/index.js';
import { RelayHealthIndicator, RelayModule, TokenPool } from '../../src/nestjs/index.js';
import { CLAIM_TYPE, TestEmulator } from '../support/emulator.js';
import type { RunningApp } from '../support/nest.js';
import { startNestApp, Visitor } from '../support/nest.js';
import { testOptions } from '../support/relay.js';

let emulator: TestEmulator;
const apps: RunningApp[] = [];
beforeAll(async () => {
  emulator = await TestEmulator.start();
});
afterAll(async () => {
  await emulator?.close();
});
beforeEach(async () => {
  await emulator.reset();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** An app whose health module is separate from (and does not import) RelayModule. */
function healthApp(relay: RelayModuleOptions): Type<unknown> {
  @Controller('health')
  class HealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly relay: RelayHealthIndicator,
    ) {}

    @Get()
    @HealthCheck()
    check() {
      return this.health.check([() => this.relay.isHealthy('relay')]);
    }
  }
  @Module({ imports: [TerminusModule.forRoot()], controllers: [HealthController], providers: [RelayHealthIndicator] })
  class HealthModule {}
  @Module({ imports: [RelayModule.forRoot(testOptions(emulator.url, relay)), HealthModule] })
  class AppModule {}
  return AppModule;
}

async function health(options: RelayModuleOptions) {
  const running = await startNestApp(healthApp(options), 'express');
  apps.push(running);
  return { running, check: () => new Visitor(running.url).get('/health') };
}

describe('RelayHealthIndicator', () => {
  it('is up when the database answers, with the usable passes per claim type', async () => {
    const { check } = await health({ storage: createMemoryStorage() });
    const answer = await check();
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      status: 'ok',
      info: { relay: { status: 'up', database: 'up', issuance: 'at-creation', passes: { [CLAIM_TYPE]: 0 } } },
    });
  });

  it('is degraded while a pool has no usable pass, and up again once it is refilled', async () => {
    // Persona fails every challenge request: the refill at startup issues nothing.
    await emulator.fault({ endpoint: 'challenge', mode: 'status', status: 500, times: 1_000 });
    const { running, check } = await health({ storage: createMemoryStorage(), issuance: 'pool', pool: { size: 2 }, retry: { maxRetries: 0 } });
    const pool = running.app.get(TokenPool);
    await pool.refill();
    const starved = await check();
    expect(starved.status).toBe(200);
    expect(starved.json).toMatchObject({
      status: 'degraded',
      info: { relay: { status: 'degraded', database: 'up', issuance: 'pool', passes: { [CLAIM_TYPE]: 0 } } },
    });

    await emulator.reset();
    await pool.refill();
    expect((await check()).json).toMatchObject({ status: 'ok', info: { relay: { status: 'up', passes: { [CLAIM_TYPE]: 2 } } } });
  });

  it('is down (503) when the database does not answer', async () => {
    let reachable = true;
    const memory = createMemoryStorage();
    const storage: RelayStorage = {
      ...memory,
      ping: async () => {
        if (!reachable) throw new RelayError(RelayErrorCode.STORAGE, 'Storage operation storage.ping failed');
      },
    };
    const { check } = await health({ storage });
    expect((await check()).status).toBe(200);
    reachable = false;
    const down = await check();
    expect(down.status).toBe(503);
    expect(down.json).toMatchObject({
      status: 'error',
      error: { relay: { status: 'down', database: 'down', message: 'Storage operation storage.ping failed' } },
    });
  });
});
