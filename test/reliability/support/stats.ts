/** Small statistics for the privacy test's timing figures. */

/** Pearson's correlation coefficient of two equally long series; NaN when either is constant or too short. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = Math.min(xs.length, ys.length);
  if (n < 3) return Number.NaN;
  const mean = (values: readonly number[]) => values.slice(0, n).reduce((a, b) => a + b, 0) / n;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i += 1) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? Number.NaN : sxy / Math.sqrt(sxx * syy);
}

/** Successive differences. */
export function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** Share of `events` that have at least one of `others` in [event + from, event + to]. */
export function shareWithNeighbour(events: readonly number[], others: readonly number[], from: number, to: number): number {
  if (events.length === 0) return Number.NaN;
  const hits = events.filter((t) => others.some((o) => o >= t + from && o <= t + to)).length;
  return hits / events.length;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * How tightly `others` cling to `events`, against chance: the median distance from each event to
 * the nearest of `others` after it (`after`) or before it (`before`), on the circle of the run's
 * time span, and its percentile among the same statistic with `others` rotated around that circle
 * by each of `shifts` evenly spaced offsets (a circular-shift permutation test, which keeps the
 * rhythm of `others` but breaks any tie to `events`). A percentile near 0 means `others` follow
 * (precede) `events` more closely than almost any rotation of themselves: they are driven by them.
 * Independent series give a percentile spread evenly over (0, 1].
 */
export function clinging(
  events: readonly number[],
  others: readonly number[],
  direction: 'after' | 'before',
  shifts = 1000,
): { medianMs: number; percentile: number } {
  const all = [...events, ...others];
  const start = Math.min(...all);
  const span = Math.max(...all) - start + 1;
  const statistic = (offset: number) =>
    median(
      events.map((event) =>
        Math.min(
          ...others.map((other) => {
            const distance = direction === 'after' ? other + offset - event : event - (other + offset);
            return ((distance % span) + span) % span;
          }),
        ),
      ),
    );
  const observed = statistic(0);
  let asTight = 0;
  for (let k = 0; k < shifts; k += 1) if (statistic((k * span) / shifts) <= observed) asTight += 1;
  return { medianMs: Math.round(observed), percentile: asTight / shifts };
}
