/**
 * The "Done when": the app process is killed between "request sent"
 * and "response stored", restarted on the same database, and the claim is
 * recovered with the same Idempotency-Key and no second pass.
 *
 * The app (RelayModule configured from the environment only) runs in a child
 * process, built from the current sources into a temporary directory. The
 * emulator commits the redemption but drops the response
 * (`drop-after-commit`); the child then waits a long backoff before retrying,
 * and is killed with SIGKILL meanwhile. A new process on the same database
 * (PostgreSQL, or a PGlite data directory without it) recovers the claim.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayStorage } from '../../src/core/storage/index.js';
import type { RequestLogEntry } from '../../src/emulator/index.js';
import { createRelayDataSource, createTypeOrmStorage } from '../../src/typeorm/index.js';
import { createPostgresTestSchema, type PostgresTestSchema } from '../integration/storage/support/relay-test-databases.js';
import { typeOrmInspector, type StorageInspector } from '../integration/storage/support/storage-inspector.js';
import type { BuiltPackage } from '../support/build.js';
import { buildPackageToTemp } from '../support/build.js';
import { PRODUCTION_API_KEY, presentedToken, TestEmulator } from '../support/emulator.js';
import { Visitor } from '../support/nest.js';
import { eventually, newStorageKey, POSTGRES_URL, TEST_COOKIE_SECRET } from '../support/relay.js';

const APP_SOURCE = fileURLToPath(new URL('./fixtures/relay-app.mjs', import.meta.url));

/** A running child app. */
interface ChildApp {
  readonly process: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

describe('crash between "request sent" and "response stored"', () => {
  let built: BuiltPackage;
  let appPath: string;
  let emulator: TestEmulator;
  let schema: PostgresTestSchema | undefined;
  let database: Record<string, string>;
  const children: ChildApp[] = [];

  beforeAll(async () => {
    built = await buildPackageToTemp();
    appPath = await built.add(APP_SOURCE, 'relay-app.mjs');
    emulator = await TestEmulator.start();
    schema = POSTGRES_URL === undefined ? undefined : await createPostgresTestSchema();
    database = schema ? { DATABASE_URL: schema.url } : { RELAY_DATA_DIR: join(built.dir, 'pglite-data') };
  }, 180_000);

  afterAll(async () => {
    for (const child of children) {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exited;
    }
    await emulator?.close();
    await schema?.drop();
    await built?.remove();
  });

  /** The environment of both runs: everything from variables, the same database, keys and cookie secret. */
  const environment = (() => {
    const storageKey = newStorageKey();
    return () => ({
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PERSONA_API_KEY: PRODUCTION_API_KEY,
      PERSONA_API_URL: emulator.url,
      RELAY_STORAGE_KEY: storageKey,
      RELAY_COOKIE_SECRET: TEST_COOKIE_SECRET,
      // Real RSA-3072 generation in the built package's worker threads: one key at a time, waited for patiently.
      RELAY_KEY_RESERVE: '1',
      RELAY_KEY_WAIT_MS: '60000',
      RELAY_BLIND_RSA_ENGINE: 'node-crypto',
      RELAY_ISSUANCE_JITTER_MS: '0',
      RELAY_FORBIDDEN_RETRY_BUDGET_MS: '0',
      // After the lost response the app waits 30–60 s before retrying: the window in which it is killed.
      RELAY_RETRY_BASE_DELAY_MS: '60000',
      RELAY_RETRY_MAX_DELAY_MS: '60000',
      // A short lease, so the restarted app may take the dead one's redemption over soon.
      RELAY_REDEMPTION_LEASE_MS: '2000',
      ...database,
    });
  })();

  async function startChild(): Promise<ChildApp> {
    const child = spawn(process.execPath, [appPath], { cwd: built.dir, env: environment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const line = stdout.split('\n').find((candidate) => candidate.startsWith('{"url"'));
        if (line) resolve((JSON.parse(line) as { url: string }).url);
      });
      void exited.then((code) => reject(new Error(`the app exited (${code}) before listening:\n${stderr}`)));
    });
    const app = { process: child, url, exited, stderr: () => stderr };
    children.push(app);
    return app;
  }

  /** Reads the database the child uses (PostgreSQL only: PGlite is single-process). */
  async function withStorage<T>(use: (storage: RelayStorage, inspect: StorageInspector) => Promise<T>): Promise<T> {
    const dataSource: DataSource = await createRelayDataSource(
      schema ? { databaseUrl: schema.url } : { dataDir: database.RELAY_DATA_DIR },
    ).initialize();
    try {
      return await use(createTypeOrmStorage(dataSource), typeOrmInspector(dataSource));
    } finally {
      await dataSource.destroy();
    }
  }

  it('recovers the claim after a restart, with the same Idempotency-Key and no second pass', async () => {
    const first = await startChild();
    const browser = new Visitor(first.url);
    const created = await browser.post('/relay/sessions');
    expect(created.status, created.text).toBe(201);
    const { sessionId, accessToken } = created.json as { sessionId: string; accessToken: string };
    await eventually(async () => (await emulator.state()).passesIssued === 1, 20_000, 'the at-creation pass');
    await emulator.complete(accessToken);

    // Persona commits the redemption (the pass is spent) but the answer never arrives.
    await emulator.fault({ endpoint: 'generate-claim', mode: 'drop-after-commit' });
    const lostCall = browser.post(`/relay/sessions/${sessionId}/claim`).catch((error: unknown) => error);
    const sent = await eventually(
      async () => (await emulator.redemptions()).find((entry) => entry.dropped),
      20_000,
      'the dropped redemption',
    );
    const key = sent.headers['idempotency-key']!;
    if (schema) {
      // Request sent, nothing stored: the record is PENDING with its key, the pass reserved.
      await withStorage(async (storage) => {
        expect(await storage.redemptions.get(key)).toMatchObject({ sessionId, state: 'PENDING', attempts: 1 });
      });
    }

    first.process.kill('SIGKILL');
    await first.exited;
    expect(first.process.signalCode).toBe('SIGKILL');
    await lostCall;
    // The dead process sent nothing more.
    expect(await emulator.redemptions()).toHaveLength(1);

    const second = await startChild();
    const again = new Visitor(second.url);
    again.cookie = browser.cookie;
    const recovered = await again.post(`/relay/sessions/${sessionId}/claim`);
    expect(recovered.status, `${recovered.text}\n${second.stderr()}`).toBe(200);
    expect(recovered.json).toEqual({ sessionId, claimType: 'age_over18_verified', result: 'passed', methodology: [] });

    const redemptions: RequestLogEntry[] = await emulator.redemptions();
    expect(redemptions.map((entry) => entry.headers['idempotency-key'])).toEqual([key, key]);
    expect(presentedToken(redemptions[1]!)).toBe(presentedToken(redemptions[0]!));
    expect(redemptions.map((entry) => [entry.status, entry.dropped])).toEqual([
      [200, true],
      [200, false],
    ]);
    expect(await emulator.state()).toMatchObject({ passesIssued: 1, passesRedeemed: 1, doubleSpendRejected: 0, claimsGenerated: 1 });

    // A graceful stop (Nest's shutdown hooks close the module, then re-raise the signal).
    second.process.kill('SIGTERM');
    await second.exited;
    await withStorage(async (storage, inspect) => {
      expect(await storage.redemptions.get(key)).toMatchObject({ state: 'SUCCEEDED', attempts: 2 });
      expect(await inspect.passes.countByState()).toMatchObject({ CONSUMED: 1, RESERVED: 0, AVAILABLE: 0 });
    });
  }, 120_000);
});
