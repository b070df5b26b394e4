/**
 * Section 2: event-loop health while 100 issuances run concurrently through
 * the real PrivacyPassService (challenge, blind, Persona signs over HTTP,
 * finalize, store), with the emulator in another process.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { BlindRsaEngineName } from '../src/core/config/index.js';
import { createMemoryStorage } from '../src/core/storage/index.js';
import { BENCH_CLAIM_TYPE, benchServices } from './app-under-test.js';
import { QUICK, repeat, spread, type Spread } from './stats.js';

export interface EventLoopRow {
  readonly engine: BlindRsaEngineName;
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
    const runs = await repeat(QUICK ? 1 : 5, async () => {
      const histogram = monitorEventLoopDelay({ resolution: 1 });
      histogram.enable();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrent }, () => services.passes.issue({ claimType: BENCH_CLAIM_TYPE, environment: 'production' })),
      );
      const burstMs = performance.now() - started;
      histogram.disable();
      return { worst: histogram.max / 1e6, p99: histogram.percentile(99) / 1e6, burstMs };
    });
    await services.close();
    rows.push({
      engine,
      concurrentIssuances: concurrent,
      worstMs: spread(runs.map((r) => r.worst)),
      p99Ms: spread(runs.map((r) => r.p99)),
      burstMs: spread(runs.map((r) => r.burstMs)),
    });
  }
  return rows;
}
