import { DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { Registry } from 'prom-client';
import { EventMetrics } from './event-metrics.js';
import { InvariantMonitor } from './invariant-monitor.js';
import { MetricsHttp } from './metrics-http.js';
import { MetricsRepository } from './metrics.repository.js';
import { RuntimeMetrics } from './runtime-metrics.js';
import { SaleStatsCollector } from './sale-stats.collector.js';

/**
 * Prometheus metrics. EventMetrics is always there (the services count into it); serving
 * them, the HTTP histogram, the sale figures, runtime metrics and the invariant checks exist
 * only when METRICS_TOKEN or METRICS_PORT is set. Each app has its own registry.
 */
@Global()
@Module({})
export class MetricsModule {
  static register(options: { enabled: boolean }): DynamicModule {
    const always: Provider[] = [{ provide: Registry, useFactory: () => new Registry() }, EventMetrics];
    const served: Provider[] = options.enabled
      ? [MetricsRepository, MetricsHttp, SaleStatsCollector, RuntimeMetrics, InvariantMonitor]
      : [];
    return { module: MetricsModule, providers: [...always, ...served], exports: [EventMetrics] };
  }
}
