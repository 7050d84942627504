import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';

export type HoldEndReason = 'paid' | 'cancelled' | 'expired';
export type QueueExitReason = 'left' | 'expired' | 'no_show' | 'completed';

/**
 * Counters of things that happen in this process, incremented by the services where they
 * happen, after the database said they happened. Per replica: Prometheus sums them across
 * replicas, and a restart starts them again at 0 (`rate()` and `increase()` handle that).
 * They add no SQL: per-concert figures come from the database's own counters at scrape time
 * (ConcertStatsCollector). They count whether or not metrics are served.
 */
@Injectable()
export class EventMetrics {
  private readonly holdsCreated: Counter;
  private readonly holdsEnded: Counter<'reason'>;
  private readonly queueEntriesEnded: Counter<'reason'>;
  private readonly payments: Counter;
  private readonly pointsSpent: Counter;
  private readonly pointsCharged: Counter;
  private readonly statementTimeouts: Counter;
  private readonly sweeperPasses: Histogram<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.holdsCreated = new Counter({
      name: 'sail_holds_created_total',
      help: 'Seat holds created (one per seat held)',
      registers,
    });
    this.holdsEnded = new Counter({
      name: 'sail_holds_ended_total',
      help: 'Seat holds ended, by reason: paid, cancelled by the user, expired (released by the sweeper)',
      labelNames: ['reason'],
      registers,
    });
    this.queueEntriesEnded = new Counter({
      name: 'sail_queue_entries_ended_total',
      help: 'Queue entries ended, by reason: left (waiting or active), expired (window lapsed), no_show (admitted, never claimed), completed (paid)',
      labelNames: ['reason'],
      registers,
    });
    this.payments = new Counter({ name: 'sail_payments_total', help: 'Completed payments', registers });
    this.pointsSpent = new Counter({
      name: 'sail_points_spent_total',
      help: 'Points spent by completed payments',
      registers,
    });
    this.pointsCharged = new Counter({
      name: 'sail_points_charged_total',
      help: 'Points charged into wallets',
      registers,
    });
    this.statementTimeouts = new Counter({
      name: 'sail_db_statement_timeouts_total',
      help: 'Statements cancelled by statement_timeout (SQLSTATE 57014), seen by requests and the sweeper',
      registers,
    });
    this.sweeperPasses = new Histogram({
      name: 'sail_sweeper_pass_duration_seconds',
      help: 'Duration of sweeper passes, by outcome (ok or error)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    // Zero-valued series exist from the start, so dashboards and rate() see every reason.
    for (const reason of ['paid', 'cancelled', 'expired'] as const) this.holdsEnded.inc({ reason }, 0);
    for (const reason of ['left', 'expired', 'no_show', 'completed'] as const)
      this.queueEntriesEnded.inc({ reason }, 0);
    for (const outcome of ['ok', 'error']) this.sweeperPasses.zero({ outcome });
  }

  holdsCreatedCount(seats: number): void {
    this.holdsCreated.inc(seats);
  }

  holdsEndedCount(reason: HoldEndReason, holds: number): void {
    if (holds) this.holdsEnded.inc({ reason }, holds);
  }

  queueEntriesEndedCount(reason: QueueExitReason, entries: number): void {
    if (entries) this.queueEntriesEnded.inc({ reason }, entries);
  }

  paymentCompleted(points: number, reservations: number): void {
    this.payments.inc();
    this.pointsSpent.inc(points);
    this.holdsEnded.inc({ reason: 'paid' }, reservations);
  }

  pointsChargedAmount(points: number): void {
    this.pointsCharged.inc(points);
  }

  statementTimedOut(): void {
    this.statementTimeouts.inc();
  }

  sweeperPassTimer(): (outcome: 'ok' | 'error') => void {
    const end = this.sweeperPasses.startTimer();
    return (outcome) => void end({ outcome });
  }
}
