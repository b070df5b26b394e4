/**
 * Session creation alone (no pass is bought: issuance is `pool` and the pool
 * is never filled), where per-relay encryption differs from none:
 *  - a burst of creations arriving at once on a warm key reserve, per-relay
 *    against none, on each database;
 *  - a sustained run that outlasts a small reserve, so key generation is the
 *    bottleneck, against the machine's keygen limit.
 */
import { performance } from 'node:perf_hooks';
import { RelayError } from '../src/core/errors.js';
import type { RelayServices } from '../src/core/services/relay-services.js';
import { benchServicesWithWarmKeys, RELAY_BUSY_CODE, type KeyReserveScenario } from './app-under-test.js';
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
const SUSTAINED = { creations: QUICK ? 8 : 40, concurrency: 8, keyReserve: 4, keyWaitMs: 60_000 } as const;

/** The scenarios' services: limits lifted, no pass bought at creation. */
async function withServices<T>(
  apiUrl: string,
  database: BenchDatabase,
  postgresUrl: string | undefined,
  scenario: KeyReserveScenario,
  run: (services: RelayServices) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(database, postgresUrl);
  try {
    const services = await benchServicesWithWarmKeys(apiUrl, db.storage, { issuance: 'pool', ...scenario });
    try {
      return await run(services);
    } finally {
      await services.close();
    }
  } finally {
    await db.close();
  }
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
    if (error instanceof RelayError && error.code === RELAY_BUSY_CODE) return false;
    throw error;
  }
}

export async function measureBurst(apiUrl: string, postgresUrl: string | undefined): Promise<BurstRow[]> {
  const rows: BurstRow[] = [];
  for (const database of benchDatabases(postgresUrl)) {
    for (const encryption of ['per-relay', 'none'] as const) {
      console.error(`bench:   ${database}, ${encryption}: ${encryption === 'per-relay' ? `warming ${BURST} key pairs, then ` : ''}${BURST} creations at once …`);
      rows.push(
        await withServices(apiUrl, database, postgresUrl, { encryption, keyReserve: BURST }, async (services) => {
          const started = performance.now();
          const outcomes = await Promise.all(
            Array.from({ length: BURST }, async () => ((await createSession(services)) ? performance.now() - started : undefined)),
          );
          const createdMs = outcomes.filter((ms) => ms !== undefined);
          return { database, encryption, burst: BURST, created: createdMs.length, busy: BURST - createdMs.length, create: latency(createdMs) };
        }),
      );
    }
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
    rows.push(
      await withServices(apiUrl, database, postgresUrl, { encryption: 'per-relay', keyReserve, keyWaitMs }, async (services) => {
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
        return { database, keyReserve, creations, concurrency, sessionsPerSecond, ratioToLimit: sessionsPerSecond / keygenLimit, busy };
      }),
    );
  }
  return rows;
}
