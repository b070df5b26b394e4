/**
 * Configuring the RelayModule: forRoot() from the environment only,
 * forRootAsync with useFactory / useClass / useExisting, isGlobal and
 * extraProviders, the route prefix, and startup failing with every problem
 * of a bad configuration listed and no secret printed.
 */
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvedRelayOptions } from '../../src/core/config/index.js';
import { RELAY_ENV_VARIABLES } from '../../src/core/config/index.js';
import { isRelayError, RelayErrorCode } from '../../src/core/errors.js';
import type { RelayServices } from '../../src/core/services/relay-services.js';
import { createMemoryStorage } from '../../src/core/storage/index.js';
import type { RelayModuleOptions, RelayOptionsFactory } from '../../src/nestjs/index.js';
import { ClaimService, RELAY_OPTIONS, RELAY_SERVICES, RelayModule } from '../../src/nestjs/index.js';
import { CLAIM_TYPE, PRODUCTION_API_KEY, TestEmulator } from '../support/emulator.js';
import type { NestPlatform, RunningApp } from '../support/nest.js';
import { CapturingNestLogger, NEST_PLATFORMS, startNestApp, Visitor } from '../support/nest.js';
import { newStorageKey, TEST_COOKIE_SECRET, testOptions } from '../support/relay.js';

let emulator: TestEmulator;
const apps: RunningApp[] = [];

beforeAll(async () => {
  emulator = await TestEmulator.start();
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** Starts `module` and remembers it for closing. */
async function start(module: Type<unknown>, platform: NestPlatform = 'express'): Promise<RunningApp> {
  const running = await startNestApp(module, platform);
  apps.push(running);
  return running;
}

/** Module options for these tests: memory storage keeps them quick. */
function options(overrides: RelayModuleOptions = {}): RelayModuleOptions {
  return { ...testOptions(emulator.url), storage: createMemoryStorage(), ...overrides };
}

/** Runs a whole verification through the app's routes; resolves to the claim answer. */
async function verifyThrough(running: RunningApp, prefix = 'relay') {
  const visitor = new Visitor(running.url);
  const created = await visitor.post(`/${prefix}/sessions`);
  expect(created.status, created.text).toBe(201);
  await running.app.get<RelayServices>(RELAY_SERVICES).drain();
  await emulator.complete(created.json.accessToken);
  const claim = await visitor.post(`/${prefix}/sessions/${created.json.sessionId}/claim`);
  expect(claim.status, claim.text).toBe(200);
  return claim.json;
}

/** Replaces every persona-relay environment variable for one test. */
function useEnvironment(): (values: Record<string, string>) => void {
  const names = [...Object.values(RELAY_ENV_VARIABLES)];
  let saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
    for (const name of names) delete process.env[name];
  });
  afterEach(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  return (values) => Object.assign(process.env, values);
}

describe('RelayModule configuration', () => {
  const setEnv = useEnvironment();

  it('forRoot() without options configures itself from the environment', async () => {
    setEnv({
      PERSONA_API_KEY: PRODUCTION_API_KEY,
      PERSONA_API_URL: emulator.url,
      RELAY_STORAGE_KEY: newStorageKey(),
      RELAY_COOKIE_SECRET: TEST_COOKIE_SECRET,
      RELAY_DATA_DIR: 'memory://',
      RELAY_CLAIM_TYPE: 'age_over21_verified',
      RELAY_ENCRYPTION: 'none',
      RELAY_BLIND_RSA_ENGINE: 'node-crypto',
      RELAY_ISSUANCE_JITTER_MS: '0',
      RELAY_FORBIDDEN_RETRY_BUDGET_MS: '0',
    });
    @Module({ imports: [RelayModule.forRoot()] })
    class AppModule {}
    const running = await start(AppModule);
    const resolved = running.app.get<ResolvedRelayOptions>(RELAY_OPTIONS);
    expect(resolved).toMatchObject({ apiUrl: emulator.url, claimType: 'age_over21_verified', encryption: 'none', environment: 'production' });
    expect(await verifyThrough(running)).toMatchObject({ claimType: 'age_over21_verified', result: 'passed' });
  });

  it('forRootAsync with useFactory, inject and imports', async () => {
    @Module({ providers: [{ provide: 'SETTINGS', useValue: { url: emulator.url } }], exports: ['SETTINGS'] })
    class SettingsModule {}
    @Module({
      imports: [
        RelayModule.forRootAsync({
          imports: [SettingsModule],
          inject: ['SETTINGS'],
          useFactory: async (settings: { url: string }) => options({ apiUrl: settings.url, claimType: 'live_human_presence' }),
        }),
      ],
    })
    class AppModule {}
    const running = await start(AppModule);
    expect(running.app.get<ResolvedRelayOptions>(RELAY_OPTIONS).claimType).toBe('live_human_presence');
    expect(await verifyThrough(running)).toMatchObject({ claimType: 'live_human_presence', result: 'passed' });
  });

  it('forRootAsync with useClass', async () => {
    @Injectable()
    class RelayConfig implements RelayOptionsFactory {
      createRelayOptions() {
        return options({ claimType: 'age_over18_germany' });
      }
    }
    @Module({ imports: [RelayModule.forRootAsync({ useClass: RelayConfig })] })
    class AppModule {}
    const running = await start(AppModule);
    expect(await verifyThrough(running)).toMatchObject({ claimType: 'age_over18_germany', result: 'passed' });
  });

  it('forRootAsync with useExisting', async () => {
    @Injectable()
    class SharedConfig implements RelayOptionsFactory {
      readonly calls: number[] = [];
      createRelayOptions() {
        this.calls.push(1);
        return options({ claimType: 'age_over18_brazil' });
      }
    }
    @Module({ providers: [SharedConfig], exports: [SharedConfig] })
    class ConfigHolderModule {}
    @Module({ imports: [ConfigHolderModule, RelayModule.forRootAsync({ imports: [ConfigHolderModule], useExisting: SharedConfig })] })
    class AppModule {}
    const running = await start(AppModule);
    // The existing instance was used, not a second one.
    expect(running.app.get(SharedConfig).calls).toHaveLength(1);
    expect(await verifyThrough(running)).toMatchObject({ claimType: 'age_over18_brazil', result: 'passed' });
  });

  it('isGlobal makes the services and extraProviders injectable in modules that do not import RelayModule', async () => {
    @Controller('feature')
    class FeatureController {
      constructor(
        @Inject(ClaimService) private readonly claims: ClaimService,
        @Inject('RELAY_EXTRA') private readonly extra: string,
      ) {}
      @Get()
      async show() {
        return { extra: this.extra, hasClaim: await this.claims.hasClaim('nobody', CLAIM_TYPE) };
      }
    }
    @Module({ controllers: [FeatureController] })
    class FeatureModule {}
    const relay = (isGlobal: boolean) =>
      RelayModule.forRoot({ ...options(), isGlobal, extraProviders: [{ provide: 'RELAY_EXTRA', useValue: 'extra value' }] });

    @Module({ imports: [relay(true), FeatureModule] })
    class GlobalApp {}
    const running = await start(GlobalApp);
    const answer = await new Visitor(running.url).get('/feature');
    expect(answer.json).toEqual({ extra: 'extra value', hasClaim: false });

    // Without isGlobal, the same feature module cannot be built.
    @Module({ imports: [relay(false), FeatureModule] })
    class LocalApp {}
    await expect(startNestApp(LocalApp, 'express')).rejects.toThrow(/FeatureController|ClaimService|RELAY_EXTRA/);
  });

  it.each(NEST_PLATFORMS)('mounts the routes under a configurable routePrefix (%s)', async (platform) => {
    @Module({ imports: [RelayModule.forRoot({ ...options(), routePrefix: 'age-check/v1' })] })
    class AppModule {}
    const running = await start(AppModule, platform);
    expect((await new Visitor(running.url).post('/relay/sessions')).status).toBe(404);
    expect(await verifyThrough(running, 'age-check/v1')).toMatchObject({ result: 'passed' });
  });

  it('controller: false mounts no routes, the services stay available', async () => {
    @Module({ imports: [RelayModule.forRoot({ ...options(), controller: false })] })
    class AppModule {}
    const running = await start(AppModule);
    expect((await new Visitor(running.url).post('/relay/sessions')).status).toBe(404);
    expect(await running.app.get(ClaimService).claimsOf('nobody')).toEqual([]);
  });

  it('fails at startup listing every problem of an invalid configuration, without printing a secret', async () => {
    const secrets = {
      apiKey: 'persona_production_TOPSECRET key',
      storageKey: 'TOPSECRET-storage-key',
      cookieSecret: 'TOPSECRET-cookie',
      databaseUrl: 'mysql://admin:TOPSECRET-password@db.internal/relay',
      staticPrivateKeyPem: '-----BEGIN PRIVATE KEY-----\nTOPSECRET\n-----END PRIVATE KEY-----',
    };
    setEnv({ RELAY_POOL_SIZE: 'ten' });
    @Module({
      imports: [
        RelayModule.forRoot({
          ...secrets,
          apiUrl: 'ftp://persona.invalid',
          issuance: 'pool',
          challengeSource: 'relay',
          encryption: 'static',
          retry: { requestTimeoutMs: -1 },
        }),
      ],
    })
    class AppModule {}
    const logger = new CapturingNestLogger();
    const error = await startNestApp(AppModule, 'express', { logger }).then(
      (running) => {
        apps.push(running);
        throw new Error('the app started');
      },
      (caught: unknown) => caught,
    );
    expect(isRelayError(error, RelayErrorCode.INVALID_CONFIG)).toBe(true);
    const problems = (error as { context: { problems: string[] } }).context.problems;
    const options = problems.map((line) => line.split(':')[0]);
    for (const option of ['apiKey', 'apiUrl', 'storageKey', 'staticPublicKeyPem', 'challengeSource', 'pool.size', 'cookieSecret', 'databaseUrl', 'retry.requestTimeoutMs']) {
      expect(options, `${option} in ${JSON.stringify(problems)}`).toContain(option);
    }
    const message = (error as Error).message;
    for (const line of problems) expect(message).toContain(line);
    const printed = [message, JSON.stringify(problems), (error as Error).stack ?? '', ...logger.lines].join('\n');
    expect(printed).not.toContain('TOPSECRET');
  });

  it('reports a bad configuration before creating the embedded database directory', async () => {
    const dataDir = join(await mkdtemp(join(tmpdir(), 'relay-config-')), 'relay-data');
    try {
      setEnv({ RELAY_DATA_DIR: dataDir, RELAY_POOL_SIZE: 'ten' });
      @Module({ imports: [RelayModule.forRoot({ apiUrl: emulator.url, retry: { requestTimeoutMs: -1 } })] })
      class AppModule {}
      const error = await startNestApp(AppModule, 'express').then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(isRelayError(error, RelayErrorCode.INVALID_CONFIG)).toBe(true);
      const options = (error as { context: { problems: string[] } }).context.problems.map((line) => line.split(':')[0]);
      expect(options).toEqual(expect.arrayContaining(['apiKey', 'storageKey', 'pool.size', 'retry.requestTimeoutMs']));
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await rm(dirname(dataDir), { recursive: true, force: true });
    }
  });

  it('requires an API key and a storage key, and says which variables to set', async () => {
    @Module({ imports: [RelayModule.forRoot({ apiUrl: emulator.url, dataDir: 'memory://' })] })
    class AppModule {}
    const error = await startNestApp(AppModule, 'express').then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(isRelayError(error, RelayErrorCode.INVALID_CONFIG)).toBe(true);
    expect((error as Error).message).toMatch(/apiKey: .*PERSONA_API_KEY/);
    expect((error as Error).message).toMatch(/storageKey: .*RELAY_STORAGE_KEY/);
  });
});
