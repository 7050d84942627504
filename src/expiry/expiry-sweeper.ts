import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import { ConcertsService } from '../concerts/concerts.service.js';
import { isStatementTimeout } from '../common/errors/database-errors.js';
import { AppConfig } from '../config/app-config.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { QueueService } from '../queue/queue.service.js';
import { ReservationsService } from '../reservations/reservations.service.js';

const INTERVAL_NAME = 'expiry-sweeper';
/** How long closing a concert's sales waits for its sales lock before leaving it for the next pass. */
const CLOSE_LOCK_WAIT_MS = 250;
/** Idempotency keys are kept 24 h; deleting the old ones once a minute is plenty. */
const KEY_CLEANUP_EVERY_MS = 60_000;

/**
 * The scheduled job: every EXPIRY_SWEEP_INTERVAL_MS it closes the sales of concerts whose
 * close time passed (their holds released, their queue places ended), draws the pre-queues
 * of concerts whose opening passed (exactly once, whichever replica), expires lapsed queue
 * windows (admitting the next users) and unpaid holds, and once a minute deletes idempotency keys
 * past their 24 h retention. Every replica runs it; the work itself
 * uses SKIP LOCKED, so replicas share it instead of doing it twice. Reads are never
 * delayed by it: expiry is judged by the database clock wherever it matters.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private running: Promise<void> | null = null;
  private keysCleanedAt = 0;

  constructor(
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly concerts: ConcertsService,
    private readonly queue: QueueService,
    private readonly reservations: ReservationsService,
    private readonly idempotency: IdempotencyService,
    private readonly metrics: EventMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.sweeper.enabled) return;
    this.scheduler.addInterval(
      INTERVAL_NAME,
      setInterval(() => void this.tick(), this.config.sweeper.intervalMs),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.running;
  }

  /** One pass; a pass still running when the next tick comes is not overlapped. */
  tick(): Promise<void> {
    if (this.running) return this.running;
    const passEnded = this.metrics.sweeperPassTimer();
    this.running = this.sweepOnce()
      .then(() => passEnded('ok'))
      .catch((error: unknown) => {
        passEnded('error');
        if (isStatementTimeout(error)) this.metrics.statementTimedOut();
        this.logger.error(error);
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async sweepOnce(): Promise<void> {
    const sales = await this.concerts.closeLapsedSales(CLOSE_LOCK_WAIT_MS);
    if (sales.closed) {
      this.logger.debug(
        `Closed sales of ${sales.closed} concerts: released ${sales.released} holds, ended ${sales.ended} queue places`,
      );
    }
    const draws = await this.queue.drawDuePreQueues();
    if (draws.drawn) {
      this.logger.log(
        `Drew the pre-queues of ${draws.drawn} concerts: ${draws.entrants} entrants, ${draws.admitted} admitted`,
      );
    }
    const windows = await this.queue.sweep();
    if (windows.expired || windows.admitted) {
      this.logger.debug(`Expired ${windows.expired} windows, admitted ${windows.admitted} users`);
    }
    const holds = await this.reservations.expireLapsedHolds();
    if (holds) this.logger.debug(`Released ${holds} lapsed seat holds`);
    if (Date.now() - this.keysCleanedAt >= KEY_CLEANUP_EVERY_MS) {
      this.keysCleanedAt = Date.now();
      const keys = await this.idempotency.deleteExpired();
      if (keys) this.logger.debug(`Deleted ${keys} idempotency keys past retention`);
    }
  }
}
