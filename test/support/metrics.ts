/**
 * An OpenTelemetry SDK meter provider whose metrics a test reads on demand, flattened to one entry
 * per data point.
 */
import type { Attributes } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

/** Collects only when asked (`collect()`); nothing is exported anywhere. */
class OnDemandReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** One data point: a counter's sum, a gauge's value, or a histogram's count and sum. */
export interface MetricPoint {
  readonly scope: { readonly name: string; readonly version?: string };
  readonly name: string;
  readonly unit: string;
  readonly attributes: Attributes;
  /** The counter's sum or the gauge's value; for a histogram, how many values it recorded. */
  readonly value: number;
  /** For a histogram, the sum of the values it recorded. */
  readonly sum?: number;
}

export interface TestMeter {
  readonly provider: MeterProvider;
  /** Every data point as of now. Fails the test on a collection error (such as a gauge callback that threw). */
  read(): Promise<MetricPoint[]>;
  close(): Promise<void>;
}

export function createTestMeter(): TestMeter {
  const reader = new OnDemandReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    async read() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      return resourceMetrics.scopeMetrics.flatMap(({ scope, metrics }) =>
        metrics.flatMap((metric) =>
          metric.dataPoints.map((point): MetricPoint => {
            const common = { scope, name: metric.descriptor.name, unit: metric.descriptor.unit, attributes: point.attributes };
            if (metric.dataPointType === DataPointType.HISTOGRAM) {
              const histogram = point.value as { count: number; sum?: number };
              return { ...common, value: histogram.count, sum: histogram.sum };
            }
            return { ...common, value: point.value as number };
          }),
        ),
      );
    },
    close: () => provider.shutdown(),
  };
}

/** Sum of the values of `name`'s points whose attributes include `attributes`. */
export function total(points: readonly MetricPoint[], name: string, attributes: Attributes = {}): number {
  return points
    .filter((point) => point.name === name && Object.entries(attributes).every(([key, value]) => point.attributes[key] === value))
    .reduce((sum, point) => sum + point.value, 0);
}
