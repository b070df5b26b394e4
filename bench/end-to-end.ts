/**
 * Section 3: full flows through the core services against the emulator in a
 * separate process: sessions per second, p50/p99 latency of create, issue and
 * redeem, the app process's CPU per flow and database statements per
 * creation and per redemption, on PGlite and (when a URL is given) PostgreSQL.
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { EncryptionMode, IssuanceMode, RelayOptions } from '../src/core/config/index.js';
import type { RelayServices } from '../src/core/services/relay-services.js';
import { benchServicesWithWarmKeys } from './app-under-test.js';
import { benchDatabases, openDatabase, type BenchDatabase } from './database.js';
import { latency, median, QUICK, type StepLatency } from './stats.js';

export interface FlowScenario {
  readonly database: BenchDatabase;
  readonly encryption: EncryptionMode;
  readonly issuance: IssuanceMode;
}

export interface FlowRow extends FlowScenario {
  readonly flows: number;
  /** Completed flows per second with `concurrency` flows in flight. */
  readonly sessionsPerSecond: number;
  readonly concurrency: number;
  readonly create: StepLatency;
  readonly issue: StepLatency;
  readonly redeem: StepLatency;
  /** App-process CPU (user + system) per full flow, in ms; the emulator's CPU is in its own process. */
  readonly cpuMsPerFlow: number;
  /** SQL statements per session creation, median of the sequential phase (issuance is awaited between flows). */
  readonly statementsPerCreation: number;
  /** SQL statements per redemption (sequential phase, so every statement is attributable). */
  readonly statementsPerRedemption: number;
}

/** Wraps `passes.issue` so every issuance, background ones included, is timed. */
function timeIssuance(services: RelayServices, samples: number[]): void {
  const issue = services.passes.issue.bind(services.passes);
  services.passes.issue = async (request) => {
    const started = performance.now();
    try {
      return await issue(request);
    } finally {
      samples.push(performance.now() - started);
    }
  };
}

/**
 * Per-relay keys for the flows: a small reserve, and a wait long enough that no creation is refused even
 * when the concurrent flows outrun key generation.
 */
const FLOW_KEY_RESERVE = { keyReserve: 4, keyWaitMs: 60_000 } as const;

async function runScenario(apiUrl: string, scenario: FlowScenario, postgresUrl: string | undefined): Promise<FlowRow> {
  const sequentialFlows = QUICK ? 4 : 30;
  const concurrentFlows = QUICK ? 8 : 60;
  const concurrency = 4;
  const database = await openDatabase(scenario.database, postgresUrl);
  const options: RelayOptions = {
    encryption: scenario.encryption,
    issuance: scenario.issuance,
    // No spread: the per-relay scenarios start the services (and so the pool's own spread refill round), and the
    // explicit refill below would otherwise wait out that round's privacy delays.
    pool: { size: sequentialFlows + concurrentFlows + 2, issueSpreadMs: 0 },
    ...(scenario.encryption === 'static' ? staticKeyOptions() : {}),
  };
  const create: number[] = [];
  const issue: number[] = [];
  const redeem: number[] = [];
  // Timed from the start: per-relay scenarios start the services, and with them the pool's first refill round.
  const services = await benchServicesWithWarmKeys(apiUrl, database.storage, { ...options, ...FLOW_KEY_RESERVE }, (s) =>
    timeIssuance(s, issue),
  );
  if (scenario.issuance === 'pool') await services.pool.refill();

  let subject = 0;
  /** One full flow; returns the SQL statements its creation and its redemption sent (exact only when flows run one at a time). */
  const flow = async (): Promise<{ creation: number; redemption: number }> => {
    const owner = `bench-${(subject += 1)}`;
    const beforeCreation = database.counter.count;
    let started = performance.now();
    const session = await services.sessions.create(owner);
    create.push(performance.now() - started);
    const creation = database.counter.count - beforeCreation;
    // The emulator runs with --auto-complete passed: the relay is complete at creation.
    await services.passes.whenIssued(session.sessionId);
    const beforeRedemption = database.counter.count;
    started = performance.now();
    const claim = await services.claims.redeem(owner, session.sessionId);
    redeem.push(performance.now() - started);
    if (claim.result !== 'passed') throw new Error('benchmark flow did not pass');
    return { creation, redemption: database.counter.count - beforeRedemption };
  };

  // Sequential phase: latencies, statements per creation and redemption, CPU per flow.
  const statements: Array<{ creation: number; redemption: number }> = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < sequentialFlows; i += 1) statements.push(await flow());
  const cpu = process.cpuUsage(cpuBefore);

  // Concurrent phase: throughput.
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < concurrentFlows) {
        next += 1;
        await flow();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await services.close();
  await database.close();

  return {
    ...scenario,
    flows: sequentialFlows + concurrentFlows,
    concurrency,
    sessionsPerSecond: concurrentFlows / seconds,
    create: latency(create),
    issue: latency(issue),
    redeem: latency(redeem),
    cpuMsPerFlow: (cpu.user + cpu.system) / 1000 / sequentialFlows,
    statementsPerCreation: median(statements.map((s) => s.creation)),
    statementsPerRedemption: median(statements.map((s) => s.redemption)),
  };
}

let staticKeys: { staticPublicKeyPem: string; staticPrivateKeyPem: string } | undefined;
/** One fixed payload key pair for the `static` scenarios (generated once per run). */
function staticKeyOptions() {
  if (!staticKeys) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    staticKeys = {
      staticPublicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      staticPrivateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  }
  return staticKeys;
}

/** Every encryption mode with at-creation issuance, plus pool issuance, on each available database. */
export async function measureEndToEnd(apiUrl: string, postgresUrl: string | undefined): Promise<FlowRow[]> {
  const scenarios: Array<Omit<FlowScenario, 'database'>> = [
    { encryption: 'per-relay', issuance: 'at-creation' },
    { encryption: 'static', issuance: 'at-creation' },
    { encryption: 'none', issuance: 'at-creation' },
    { encryption: 'per-relay', issuance: 'pool' },
    { encryption: 'none', issuance: 'pool' },
  ];
  const rows: FlowRow[] = [];
  for (const database of benchDatabases(postgresUrl)) {
    for (const scenario of scenarios) {
      console.error(`bench:   ${database}, ${scenario.encryption}, ${scenario.issuance} …`);
      rows.push(await runScenario(apiUrl, { database, ...scenario }, postgresUrl));
    }
  }
  return rows;
}
