/**
 * Core services wired against the emulator, on the storage backends the
 * tests run on: in-memory, TypeORM on in-memory PGlite, TypeORM on the
 * PostgreSQL named by RELAY_TEST_POSTGRES_URL (a schema of its own).
 */
import { randomBytes } from 'node:crypto';
import type { MeterProvider } from '@opentelemetry/api';
import type { DataSource } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { RelayOptions, ResolvedRelayOptions } from '../../src/core/config/index.js';
import { resolveRelayOptions } from '../../src/core/config/index.js';
import { SecretBox } from '../../src/core/crypto/index.js';
import type { BlindRsaEngine, KeyPairGenerator } from '../../src/core/crypto/index.js';
import { silentLogger } from '../../src/core/logger.js';
import type { RelayLogger } from '../../src/core/logger.js';
import type { RelayServices } from '../../src/core/services/relay-services.js';
import { createRelayServices } from '../../src/core/services/relay-services.js';
import { sealedField } from '../../src/core/services/sealing.js';
import type { PassRecord, RelayStorage } from '../../src/core/storage/index.js';
import { createRelayDataSource, createTypeOrmStorage } from '../../src/typeorm/index.js';
import {
  createPostgresTestSchema,
  POSTGRES_URL,
  truncateRelayTables,
} from '../integration/storage/support/relay-test-databases.js';
import {
  inspectedMemoryStorage,
  typeOrmInspector,
  type InspectedStorage,
  type StorageInspector,
} from '../integration/storage/support/storage-inspector.js';
import { CLAIM_TYPE, PRODUCTION_API_KEY } from './emulator.js';
import { fastTestKeyPairs } from './key-pairs.js';

export { POSTGRES_URL };

/** A fresh storage key (base64 of 32 bytes). */
export function newStorageKey(): string {
  return randomBytes(32).toString('base64');
}

/** A cookie secret shared by the instances of one test. */
export const TEST_COOKIE_SECRET = 'test-cookie-secret-'.padEnd(48, 'x');

/**
 * Options that keep tests short on a 2-core machine: a small per-relay key
 * reserve (see {@link fastTestKeyPairs} for the keys themselves) with a long
 * wait, the native blind RSA engine, no issuance jitter, fast retries, a
 * tiny 403 budget, and background sweeps far apart (tests call them).
 * `overrides` win option by option, inside `retry` and `pool` too.
 */
export function testOptions<Overrides extends RelayOptions>(apiUrl: string, overrides?: Overrides): RelayOptions & Overrides {
  const base = {
    apiKey: PRODUCTION_API_KEY,
    apiUrl,
    claimType: CLAIM_TYPE,
    storageKey: newStorageKey(),
    cookieSecret: TEST_COOKIE_SECRET,
    keyReserve: 2,
    keyWaitMs: 30_000,
    blindRsaEngine: 'node-crypto',
    issuanceJitterMs: 0,
    maintenanceIntervalMs: 3_600_000,
    retry: { baseDelayMs: 10, maxDelayMs: 50, rateLimitMaxWaitMs: 0, forbiddenRetryBudgetMs: 0, requestTimeoutMs: 5_000 },
    pool: { issueSpreadMs: 0, refillIntervalMs: 3_600_000 },
  } satisfies RelayOptions;
  return {
    ...base,
    ...overrides,
    retry: { ...base.retry, ...overrides?.retry },
    pool: { ...base.pool, ...overrides?.pool },
  } as RelayOptions & Overrides;
}

/** Core services plus what tests inspect. */
export interface TestRelay {
  readonly services: RelayServices;
  readonly storage: RelayStorage;
  readonly options: ResolvedRelayOptions;
  /** Opens sealed columns (to compare passes with what the emulator saw). */
  readonly secretBox: SecretBox;
  /** The pass's b64url token. */
  passToken(pass: PassRecord): string;
  close(): Promise<void>;
}

/** Wires the services; `close()` closes them (the storage stays the caller's). */
export function createTestRelay(init: {
  apiUrl: string;
  storage: RelayStorage;
  options?: RelayOptions;
  clock?: () => Date;
  instanceId?: string;
  engine?: BlindRsaEngine;
  logger?: RelayLogger;
  meterProvider?: MeterProvider;
  /** Default {@link fastTestKeyPairs}. */
  keyPairGenerator?: KeyPairGenerator;
}): TestRelay {
  const options = resolveRelayOptions(testOptions(init.apiUrl, init.options));
  const services = createRelayServices({
    options,
    storage: init.storage,
    logger: init.logger ?? silentLogger,
    keyPairGenerator: init.keyPairGenerator ?? fastTestKeyPairs(),
    ...(init.clock ? { clock: init.clock } : {}),
    ...(init.instanceId ? { instanceId: init.instanceId } : {}),
    ...(init.engine ? { engine: init.engine } : {}),
    ...(init.meterProvider ? { meterProvider: init.meterProvider } : {}),
  });
  const secretBox = SecretBox.fromBase64Keys(options.storageKeys!, options.storageKeyId!);
  return {
    services,
    storage: init.storage,
    options,
    secretBox,
    passToken: (pass) => secretBox.openText(pass.tokenSealed, sealedField.passToken(pass.id)),
    close: () => services.close(),
  };
}

/** One storage backend: `open()` once per file, `fresh()` before each test. */
export interface StorageBackend {
  readonly name: string;
  open(): Promise<OpenBackend>;
}

export interface OpenBackend {
  /** A storage on empty tables, and its inspector. */
  fresh(): Promise<InspectedStorage>;
  /** The data source, for backends that have one. */
  readonly dataSource?: DataSource;
  /** The database URL, for PostgreSQL. */
  readonly url?: string;
  dispose(): Promise<void>;
}

export const memoryBackend: StorageBackend = {
  name: 'memory',
  async open() {
    return { fresh: async () => inspectedMemoryStorage(), dispose: async () => undefined };
  },
};

export const pgliteBackend: StorageBackend = {
  name: 'TypeORM on PGlite',
  async open() {
    const dataSource = await createRelayDataSource({ dataDir: 'memory://' }).initialize();
    const inspected = { storage: createTypeOrmStorage(dataSource), inspect: typeOrmInspector(dataSource) };
    return {
      dataSource,
      async fresh() {
        await truncateRelayTables(dataSource);
        return inspected;
      },
      dispose: () => dataSource.destroy(),
    };
  },
};

export const postgresBackend: StorageBackend = {
  name: 'TypeORM on PostgreSQL',
  async open() {
    const schema = await createPostgresTestSchema();
    const dataSource = await createRelayDataSource({ databaseUrl: schema.url }).initialize();
    const inspected = { storage: createTypeOrmStorage(dataSource), inspect: typeOrmInspector(dataSource) };
    return {
      dataSource,
      url: schema.url,
      async fresh() {
        await truncateRelayTables(dataSource);
        return inspected;
      },
      async dispose() {
        await dataSource.destroy();
        await schema.drop();
      },
    };
  },
};

/** memory and PGlite always; PostgreSQL when RELAY_TEST_POSTGRES_URL is set. */
export function storageBackends(): StorageBackend[] {
  return POSTGRES_URL === undefined ? [memoryBackend, pgliteBackend] : [memoryBackend, pgliteBackend, postgresBackend];
}

/** Awaits `condition()` until it holds (polling); throws after `timeoutMs`. For waiting on other processes, never for asserting durations. */
export async function eventually<T>(condition: () => Promise<T | undefined | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Per-test wiring for one storage backend inside a `describe`: opens the
 * backend once, gives each test empty tables and a reset emulator, and
 * closes the services a test created.
 */
export function useRelayHarness(backend: StorageBackend, emulator: () => { url: string; reset(): Promise<void> }) {
  let opened: OpenBackend | undefined;
  let current: InspectedStorage | undefined;
  /** One storage key per test, so that every instance of a test can open the others' secrets. */
  let storageKey = newStorageKey();
  const relays: TestRelay[] = [];

  beforeAll(async () => {
    opened = await backend.open();
  });
  afterAll(async () => {
    await opened?.dispose();
  });
  beforeEach(async () => {
    current = await opened!.fresh();
    storageKey = newStorageKey();
    await emulator().reset();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });

  return {
    get storage(): RelayStorage {
      return current!.storage;
    },
    /** Reads and changes this test's storage beyond the ports (state counts, live redemptions). */
    get inspect(): StorageInspector {
      return current!.inspect;
    },
    /** Services on this test's storage (closed after the test). */
    relay(options: RelayOptions = {}, extra: Omit<Parameters<typeof createTestRelay>[0], 'apiUrl' | 'storage' | 'options'> & { storage?: RelayStorage } = {}): TestRelay {
      const relay = createTestRelay({ apiUrl: emulator().url, storage: current!.storage, options: { storageKey, ...options }, ...extra });
      relays.push(relay);
      return relay;
    },
  };
}

/** Creates a session and waits for its background issuance. */
export async function openSession(relay: TestRelay, subject = 'alice', claimType?: string) {
  const created = await relay.services.sessions.create(subject, claimType);
  await relay.services.drain();
  return created;
}

/** A logger that keeps every entry, for asserting what was reported. */
export function capturingLogger(): RelayLogger & { entries: Array<{ level: string; message: string; context?: Record<string, unknown> }> } {
  const entries: Array<{ level: string; message: string; context?: Record<string, unknown> }> = [];
  const at = (level: string) => (message: string, context?: Record<string, unknown>) => {
    entries.push({ level, message, ...(context ? { context } : {}) });
  };
  return { entries, debug: at('debug'), log: at('log'), warn: at('warn'), error: at('error') };
}
