/**
 * Section 2: event-loop health during bursts of concurrent work through the
 * real services, with the emulator in another process: 100 issuances
 * (challenge, blind, Persona signs over HTTP, finalize, store) and 100 full
 * flows (create a relay session, its pass issued at creation, redeem the
 * claim) on embedded PGlite storage.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import type { BlindRsaEngineName } from '../src/core/config/index.js';
import { createMemoryStorage } from '../src/core/storage/index.js';
import { createTypeOrmStorage, relayDataSourceOptions } from '../src/typeorm/index.js';
import { BENCH_CLAIM_TYPE, benchServices } from './app-under-test.js';
import { QUICK, repeat, spread, type Spread } from './stats.js';

export interface EventLoopRow {
  readonly engine: BlindRsaEngineName;
  /** Issuances (or full flows, for {@link measureFullFlowEventLoop}) started at once. */
  readonly concurrentIssuances: number;
  /** Worst event-loop delay in ms during the burst: median (min–max) over runs. */
  readonly worstMs: Spread;
  readonly p99Ms: Spread;
  /** Wall time of the whole burst in ms. */
  readonly burstMs: Spread;
}

/** What this machine's event loop shows with no work at all, for the same duration: the noise floor. */
export async function measureIdleBaseline(durationMs: number): Promise<Spread> {
  const runs = await repeat(QUICK ? 1 : 5, async () => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    histogram.disable();
    return histogram.max / 1e6;
  });
  return spread(runs);
}

export async function measureEventLoop(apiUrl: string, concurrent = 100): Promise<EventLoopRow[]> {
  const rows: EventLoopRow[] = [];
  for (const engine of ['node-crypto', 'blindrsa-ts'] as const) {
    const services = benchServices(apiUrl, createMemoryStorage(), { blindRsaEngine: engine, encryption: 'none' });
    const issueOne = () => services.passes.issue({ claimType: BENCH_CLAIM_TYPE, environment: 'production' });
    try {
      rows.push({ engine, concurrentIssuances: concurrent, ...(await measureBursts(concurrent, issueOne)) });
    } finally {
      await services.close();
    }
  }
  return rows;
}

/**
 * 100 concurrent full flows with the default engine: create a relay session
 * (its pass is issued at creation), wait for that issuance, redeem the claim.
 * Storage is TypeORM on in-memory PGlite, unencrypted, so the figures show the
 * relay's own work rather than a database server's.
 */
export async function measureFullFlowEventLoop(apiUrl: string, concurrent = 100): Promise<EventLoopRow> {
  const dataSource = await new DataSource(relayDataSourceOptions({ dataDir: 'memory://' })).initialize();
  const services = benchServices(apiUrl, createTypeOrmStorage(dataSource), { encryption: 'none' });
  let subject = 0;
  const fullFlow = async () => {
    const owner = `bench-flow-${(subject += 1)}`;
    const session = await services.sessions.create(owner);
    await services.passes.whenIssued(session.sessionId);
    const claim = await services.claims.redeem(owner, session.sessionId);
    if (claim.result !== 'passed') throw new Error('benchmark flow did not pass');
  };
  try {
    return { engine: 'node-crypto', concurrentIssuances: concurrent, ...(await measureBursts(concurrent, fullFlow)) };
  } finally {
    await services.close();
    await dataSource.destroy();
  }
}

/** Runs `concurrent` copies of `work` at once, repeatedly, recording the event loop's delay during each burst. */
async function measureBursts(concurrent: number, work: () => Promise<unknown>): Promise<Pick<EventLoopRow, 'worstMs' | 'p99Ms' | 'burstMs'>> {
  const runs = await repeat(QUICK ? 1 : 5, async () => {
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrent }, work));
    const burstMs = performance.now() - started;
    histogram.disable();
    return { worst: histogram.max / 1e6, p99: histogram.percentile(99) / 1e6, burstMs };
  });
  return {
    worstMs: spread(runs.map((r) => r.worst)),
    p99Ms: spread(runs.map((r) => r.p99)),
    burstMs: spread(runs.map((r) => r.burstMs)),
  };
}
