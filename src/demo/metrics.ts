import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { MeterProvider as MeterProviderApi } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Request, Response } from 'express';

/** Injection token of the demo's {@link PrometheusExporter}. */
export const DEMO_METRICS = Symbol('persona-relay-demo:metrics');

/** The demo's metrics: a meter provider for the relay, and the exporter that reads it for `GET /metrics`. */
export interface DemoMetrics {
  /** Given to `RelayModule.forRoot({ meterProvider })`. */
  readonly meterProvider: MeterProviderApi;
  readonly exporter: PrometheusExporter;
}

/**
 * A meter provider of the demo's own rather than the global one, so that two demos in one process
 * (tests) keep their counts apart. The exporter starts no server of its own: the demo's route serves it.
 * Nothing needs shutting down: a pull exporter has no timers and holds no connection.
 */
export function createDemoMetrics(): DemoMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  return { meterProvider: new MeterProvider({ readers: [exporter] }), exporter };
}

/** `GET /metrics`: the relay's metrics in Prometheus's text format, for a scrape or a look. */
@Controller()
export class MetricsController {
  constructor(@Inject(DEMO_METRICS) private readonly exporter: PrometheusExporter) {}

  @Get('metrics')
  metrics(@Req() req: Request, @Res() res: Response): void {
    res.setHeader('Cache-Control', 'no-store');
    this.exporter.getMetricsRequestHandler(req, res);
  }
}
