/**
 * Session creation alone (no pass is bought: issuance is `pool`), where
 * per-relay encryption differs from none:
 *  - a burst of creations arriving at once on a warm key reserve, per-relay
 *    against none, on each database;
 *  - a sustained run that outlasts a small reserve, so key generation is the
 *    bottleneck, against the machine's keygen limit.
 */
import { performance } from 'node:perf_hooks';
import { RelayError, RelayErrorCode } from '../src/core/errors.js';
import type { RelayServices } from '../src/core/services/relay-services.js';
import { benchServicesWithWarmKeys, type KeyReserveScenario } from './app-under-test.js';
import { benchDatabases, openDatabase, type BenchDatabase } from './database.js';
import { latency, QUICK, type StepLatency } from './stats.js';

export type BurstEncryption = 'per-relay' | 'none';

export interface BurstRow {
  readonly database: BenchDatabase;
  readonly encryption: BurstEncryption;
  /** Creations started at the same moment; the reserve held as many key pairs. */
  readonly burst: number;
  readonly created: number;
  /** Creations refused with `ERR_RELAY_BUSY` (HTTP 503): no key pair came in time. */
  readonly busy: number;
  /** Latency of the created sessions, from the burst's start, in ms. */
  readonly create: StepLatency;
}

export interface SustainedRow {
  readonly database: BenchDatabase;
  readonly keyReserve: number;
  readonly creations: number;
  readonly concurrency: number;
  /** Creations per second once the reserve's ready keys are used up. */
  readonly sessionsPerSecond: number;
  /** `sessionsPerSecond` / the keygen limit. */
  readonly ratioToLimit: number;
  readonly busy: number;
}

const BURST = QUICK ? 8 : 150;
const SUSTAINED = { creations: QUICK ? 8 : 32, concurrency: 8, keyReserve: 4, keyWaitMs: 60_000 } as const;

interface OpenScenario {
  readonly database: BenchDatabase;
  readonly services: RelayServices;
  /** Closes the services, then the database. Idempotent. */
  close(): Promise<void>;
}

/** A scenario's services on a fresh database: limits lifted, no pass bought at creation, key reserve warm. */
async function openScenario(
  apiUrl: string,
  database: BenchDatabase,
  postgresUrl: string | undefined,
  scenario: KeyReserveScenario,
): Promise<OpenScenario> {
  const db = await openDatabase(database, postgresUrl);
  let services: RelayServices;
  try {
    // Pool issuance with the smallest pool: creations buy no pass, and the pool costs at most one issuance, before the measurement.
    services = await benchServicesWithWarmKeys(apiUrl, db.storage, { issuance: 'pool', pool: { size: 1 }, ...scenario });
  } catch (error) {
    await db.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return { database, services, close: () => (closing ??= services.close().finally(() => db.close())) };
}

/** Distinct subjects, so no per-subject limit or lock ties creations together. */
let subjects = 0;
const nextSubject = () => `bench-create-${(subjects += 1)}`;

/** Creates one session; `false` when it was refused busy. Any other failure fails the benchmark. */
async function createSession(services: RelayServices): Promise<boolean> {
  try {
    await services.sessions.create(nextSubject());
    return true;
  } catch (error) {
    if (error instanceof RelayError && error.code === RelayErrorCode.RELAY_BUSY) return false;
    throw error;
  }
}

/** Starts `BURST` creations at once, then closes the scenario. */
async function burstOn(scenario: OpenScenario, encryption: BurstEncryption): Promise<BurstRow> {
  console.error(`bench:   ${scenario.database}, ${encryption}: ${BURST} creations at once …`);
  try {
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: BURST }, async () => ((await createSession(scenario.services)) ? performance.now() - started : undefined)),
    );
    const createdMs = outcomes.filter((ms) => ms !== undefined);
    const { database } = scenario;
    return { database, encryption, burst: BURST, created: createdMs.length, busy: BURST - createdMs.length, create: latency(createdMs) };
  } finally {
    await scenario.close();
  }
}

export async function measureBurst(apiUrl: string, postgresUrl: string | undefined): Promise<BurstRow[]> {
  const databases = benchDatabases(postgresUrl);
  console.error(`bench:   warming a reserve of ${BURST} key pairs on ${databases.join(' and ')} …`);
  // Warming is most of this section's time and leaves the main thread idle, so the databases' reserves warm side
  // by side; each burst then runs alone.
  const warm = await Promise.allSettled(
    databases.map((database) => openScenario(apiUrl, database, postgresUrl, { encryption: 'per-relay', keyReserve: BURST })),
  );
  const rows: BurstRow[] = [];
  try {
    for (const opened of warm) {
      if (opened.status === 'rejected') throw opened.reason;
      rows.push(await burstOn(opened.value, 'per-relay'));
      const none = await openScenario(apiUrl, opened.value.database, postgresUrl, { encryption: 'none' });
      rows.push(await burstOn(none, 'none'));
    }
  } finally {
    await Promise.all(warm.map((opened) => (opened.status === 'fulfilled' ? opened.value.close() : undefined)));
  }
  return rows;
}

/** Per-relay p99 over none's, per database: what a warm reserve leaves of the cost of per-relay keys under a burst. */
export function burstP99Ratios(rows: readonly BurstRow[]): Array<{ database: BenchDatabase; ratio: number }> {
  const databases = [...new Set(rows.map((r) => r.database))];
  return databases.map((database) => {
    const p99 = (encryption: BurstEncryption) => rows.find((r) => r.database === database && r.encryption === encryption)!.create.p99;
    return { database, ratio: p99('per-relay') / p99('none') };
  });
}

export async function measureSustained(apiUrl: string, postgresUrl: string | undefined, keygenLimit: number): Promise<SustainedRow[]> {
  const { creations, concurrency, keyReserve, keyWaitMs } = SUSTAINED;
  const rows: SustainedRow[] = [];
  for (const database of benchDatabases(postgresUrl)) {
    console.error(`bench:   ${database}: ${creations} per-relay creations, ${concurrency} at a time, reserve of ${keyReserve} …`);
    const { services, close } = await openScenario(apiUrl, database, postgresUrl, { encryption: 'per-relay', keyReserve, keyWaitMs });
    try {
      const finishedAt: number[] = [];
      let busy = 0;
      let started = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (started < creations) {
            started += 1;
            if (await createSession(services)) finishedAt.push(performance.now());
            else busy += 1;
          }
        }),
      );
      // Counted from the moment the reserve's ready keys are gone: from then on each creation waits for a generated key.
      const steady = finishedAt.slice(keyReserve - 1);
      if (steady.length < 2) throw new Error(`only ${finishedAt.length} of ${creations} sustained creations succeeded (${busy} busy)`);
      const sessionsPerSecond = ((steady.length - 1) * 1000) / (steady.at(-1)! - steady[0]!);
      rows.push({ database, keyReserve, creations, concurrency, sessionsPerSecond, ratioToLimit: sessionsPerSecond / keygenLimit, busy });
    } finally {
      await close();
    }
  }
  return rows;
}
