import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';
import { PrismaService } from '../prisma/prisma.service.js';
import { MetricsRepository, type SaleStats } from './metrics.repository.js';

/**
 * Scrapes closer together than this share one read: at most one per scrape interval per
 * replica, however many Prometheus servers scrape it.
 */
export const SALE_STATS_MAX_AGE_MS = 5_000;

type Read = { at: number; stats: Promise<SaleStats | null> };

/**
 * Per-concert figures from the counters Sail already keeps (each concert's `queues` row and
 * its seats), plus the sweeper's lag, read once per scrape in one statement. Only concerts on
 * sale or paused get a `concert_id` label.
 */
@Injectable()
export class SaleStatsCollector {
  private readonly logger = new Logger(SaleStatsCollector.name);
  private last: Read | null = null;

  constructor(
    registry: Registry,
    private readonly prisma: PrismaService,
    private readonly repo: MetricsRepository,
  ) {
    const registers = [registry];
    const perConcert = ['concert_id'] as const;
    // Each metric's collect() refreshes its own values from the shared read.
    const gauge = <L extends string>(
      name: string,
      help: string,
      labelNames: readonly L[],
      fill: (metric: Gauge<L>, stats: SaleStats) => void,
    ) => {
      const metric: Gauge<L> = new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect: async () => {
          const stats = await this.stats();
          metric.reset();
          if (stats) fill(metric, stats);
        },
      });
    };
    const counter = (name: string, help: string, value: (row: SaleStats['concerts'][number]) => number) => {
      const metric: Counter<'concert_id'> = new Counter({
        name,
        help,
        labelNames: perConcert,
        registers,
        collect: async () => {
          const stats = await this.stats();
          metric.reset();
          for (const row of stats?.concerts ?? []) metric.inc({ concert_id: row.concertId }, value(row));
        },
      });
    };

    const databaseUp: Gauge = new Gauge({
      name: 'sail_database_up',
      help: 'Whether the last read of the sale figures from the database succeeded',
      registers,
      collect: async () => databaseUp.set((await this.stats()) ? 1 : 0),
    });
    gauge('sail_concerts_on_sale', 'Concerts on sale or paused', [], (metric, stats) =>
      metric.set(stats.concertsOnSale),
    );
    gauge(
      'sail_concert_info',
      'One series per exported concert, for its name and sales state in legends',
      ['concert_id', 'name', 'sales_state'],
      (metric, stats) => {
        for (const row of stats.concerts)
          metric.set({ concert_id: row.concertId, name: row.name, sales_state: row.salesState }, 1);
      },
    );
    gauge('sail_queue_waiting', 'Users waiting in the queue', perConcert, (metric, stats) => {
      for (const row of stats.concerts)
        metric.set({ concert_id: row.concertId }, row.lastTicket - row.activatedCount - row.leftWaitingCount);
    });
    gauge('sail_queue_active', 'Users with an active window', perConcert, (metric, stats) => {
      for (const row of stats.concerts) metric.set({ concert_id: row.concertId }, row.activeCount);
    });
    gauge('sail_queue_capacity', 'Active windows allowed at once', perConcert, (metric, stats) => {
      for (const row of stats.concerts) metric.set({ concert_id: row.concertId }, row.capacity);
    });
    gauge(
      'sail_seats',
      'Seats by status (AVAILABLE, HELD, SOLD)',
      ['concert_id', 'status'],
      (metric, stats) => {
        for (const row of stats.concerts) {
          metric.set({ concert_id: row.concertId, status: 'AVAILABLE' }, row.available);
          metric.set({ concert_id: row.concertId, status: 'HELD' }, row.held);
          metric.set({ concert_id: row.concertId, status: 'SOLD' }, row.sold);
        }
      },
    );
    gauge(
      'sail_sweeper_lag_seconds',
      'How late the oldest lapsed window (kind=window) or hold (kind=hold) not yet swept is; 0 when none',
      ['kind'],
      (metric, stats) => {
        metric.set({ kind: 'window' }, stats.windowLagSeconds);
        metric.set({ kind: 'hold' }, stats.holdLagSeconds);
      },
    );
    counter('sail_queue_entered_total', 'Tickets taken in the queue', (row) => row.lastTicket);
    counter('sail_queue_admitted_total', 'Users ever given a window', (row) => row.activatedCount);
    counter(
      'sail_queue_left_waiting_total',
      'Users who left before being admitted',
      (row) => row.leftWaitingCount,
    );
    counter(
      'sail_queue_windows_ended_total',
      'Windows ended for any reason (paid, left, expired): admitted minus active',
      (row) => row.activatedCount - row.activeCount,
    );
    counter(
      'sail_concert_sales_points_total',
      'Points paid for the sold seats (sum of their prices)',
      (row) => row.soldPoints,
    );
  }

  /** The shared read; a failed one is logged, answers null, and is tried again at the next scrape. */
  private stats(): Promise<SaleStats | null> {
    if (this.last && Date.now() - this.last.at < SALE_STATS_MAX_AGE_MS) return this.last.stats;
    const stats = this.repo.readSaleStats(this.prisma).catch((error: unknown) => {
      this.logger.warn(`Could not read the sale figures: ${String(error)}`);
      this.last = null;
      return null;
    });
    this.last = { at: Date.now(), stats };
    return stats;
  }
}
