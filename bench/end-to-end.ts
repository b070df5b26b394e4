/**
 * Section 3: full flows through the core services against the emulator in a
 * separate process: sessions per second, p50/p99 latency of create, issue and
 * redeem, the app process's CPU per flow and database statements per
 * redemption, on PGlite and (when a URL is given) PostgreSQL.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import type { EncryptionMode, IssuanceMode, RelayOptions } from '../src/core/config/index.js';
import type { RelayServices } from '../src/core/services/relay-services.js';
import { createTypeOrmStorage, relayDataSourceOptions } from '../src/typeorm/index.js';
import { benchServices } from './app-under-test.js';
import { percentile, QUICK } from './stats.js';

export interface FlowScenario {
  readonly database: 'pglite' | 'postgres';
  readonly encryption: EncryptionMode;
  readonly issuance: IssuanceMode;
}

export interface StepLatency {
  readonly p50: number;
  readonly p99: number;
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
  /** SQL statements per redemption (sequential phase, so every statement is attributable). */
  readonly statementsPerRedemption: number;
}

/** Counts every SQL statement TypeORM sends. */
class StatementCounter implements TypeOrmLogger {
  count = 0;
  logQuery(): void {
    this.count += 1;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

async function openDatabase(database: FlowScenario['database'], postgresUrl: string | undefined) {
  const counter = new StatementCounter();
  let url: string | undefined;
  let dropSchema = async () => undefined as void;
  if (database === 'postgres') {
    const schema = `relay_bench_${randomBytes(5).toString('hex')}`;
    const admin = await new DataSource({ type: 'postgres', url: postgresUrl }).initialize();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.destroy();
    const withSchema = new URL(postgresUrl!);
    withSchema.searchParams.set('options', `-c search_path=${schema}`);
    url = withSchema.toString();
    dropSchema = async () => {
      const cleanup = await new DataSource({ type: 'postgres', url: postgresUrl }).initialize();
      await cleanup.query(`DROP SCHEMA "${schema}" CASCADE`);
      await cleanup.destroy();
    };
  }
  const dataSource = await new DataSource({
    ...relayDataSourceOptions({ databaseUrl: url, dataDir: 'memory://' }),
    logging: ['query'],
    logger: counter,
  }).initialize();
  return {
    storage: createTypeOrmStorage(dataSource),
    counter,
    close: async () => {
      await dataSource.destroy();
      await dropSchema();
    },
  };
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

async function runScenario(apiUrl: string, scenario: FlowScenario, postgresUrl: string | undefined): Promise<FlowRow> {
  const sequentialFlows = QUICK ? 4 : 30;
  const concurrentFlows = QUICK ? 8 : 60;
  const concurrency = 4;
  const database = await openDatabase(scenario.database, postgresUrl);
  const options: RelayOptions = {
    encryption: scenario.encryption,
    issuance: scenario.issuance,
    pool: { size: sequentialFlows + concurrentFlows + 2 },
    ...(scenario.encryption === 'static' ? staticKeyOptions() : {}),
  };
  const services = benchServices(apiUrl, database.storage, options);
  const create: number[] = [];
  const issue: number[] = [];
  const redeem: number[] = [];
  timeIssuance(services, issue);
  if (scenario.issuance === 'pool') await services.pool.refill();

  let subject = 0;
  const flow = async (countStatements: boolean): Promise<number> => {
    const owner = `bench-${(subject += 1)}`;
    let started = performance.now();
    const session = await services.sessions.create(owner);
    create.push(performance.now() - started);
    // The emulator runs with --auto-complete passed: the relay is complete at creation.
    await services.passes.whenIssued(session.sessionId);
    const before = database.counter.count;
    started = performance.now();
    const claim = await services.claims.redeem(owner, session.sessionId);
    redeem.push(performance.now() - started);
    if (claim.result !== 'passed') throw new Error('benchmark flow did not pass');
    return countStatements ? database.counter.count - before : 0;
  };

  // Sequential phase: latencies, statements per redemption, CPU per flow.
  const statements: number[] = [];
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < sequentialFlows; i += 1) statements.push(await flow(true));
  const cpu = process.cpuUsage(cpuBefore);

  // Concurrent phase: throughput.
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < concurrentFlows) {
        next += 1;
        await flow(false);
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
    statementsPerRedemption: percentile([...statements].sort((a, b) => a - b), 50),
  };
}

function latency(samples: number[]): StepLatency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
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
  const databases: Array<FlowScenario['database']> = postgresUrl ? ['pglite', 'postgres'] : ['pglite'];
  const scenarios: Array<Omit<FlowScenario, 'database'>> = [
    { encryption: 'per-relay', issuance: 'at-creation' },
    { encryption: 'static', issuance: 'at-creation' },
    { encryption: 'none', issuance: 'at-creation' },
    { encryption: 'per-relay', issuance: 'pool' },
    { encryption: 'none', issuance: 'pool' },
  ];
  const rows: FlowRow[] = [];
  for (const database of databases) {
    for (const scenario of scenarios) rows.push(await runScenario(apiUrl, { database, ...scenario }, postgresUrl));
  }
  return rows;
}
