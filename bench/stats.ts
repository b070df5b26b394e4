/** Summary statistics for repeated benchmark runs: every figure is quoted as median with min and max. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) throw new TypeError('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Percentile of already sorted samples (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median of unsorted samples. */
export function median(samples: readonly number[]): number {
  return percentile([...samples].sort((a, b) => a - b), 50);
}

/** Latency of one step over many calls of it, in ms. */
export interface StepLatency {
  readonly p50: number;
  readonly p99: number;
}

export function latency(samples: readonly number[]): StepLatency {
  // No samples prints as NaN rather than ending the run after minutes of measuring.
  if (samples.length === 0) return { p50: Number.NaN, p99: Number.NaN };
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** `median (min–max)` with a fixed number of decimals. */
export function formatSpread(value: Spread, decimals = 2): string {
  return `${value.median.toFixed(decimals)} (${value.min.toFixed(decimals)}–${value.max.toFixed(decimals)})`;
}

/** Runs `run` `repeats` times after one unmeasured warm-up and collects its results. */
export async function repeat<T>(repeats: number, run: () => Promise<T>): Promise<T[]> {
  await run();
  const results: T[] = [];
  for (let i = 0; i < repeats; i += 1) results.push(await run());
  return results;
}

/** Whether the quick profile was asked for (`BENCH_QUICK=1`): fewer repeats, for smoke runs. */
export const QUICK = process.env.BENCH_QUICK === '1';
