import { Injectable } from '@nestjs/common';
import { ConcertNotFoundError } from '../concerts/concerts.errors.js';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner } from '../prisma/transaction-runner.js';
import { ConcurrentEntryError, QueueConcertNotOnSaleError, QueueEntryNotFoundError } from './queue.errors.js';
import { PerConcertBatcher } from './per-concert-batcher.js';
import { estimateWaitSeconds, queuePosition, retryAfterMs } from './queue-position.js';
import { QueueRepository, type LiveEntryRow } from './queue.repository.js';

export interface QueueState {
  concertId: string;
  status: 'ACTIVE' | 'WAITING';
  position: number;
  waitSeconds: number | null;
  expiresAt: Date | null;
  retryAfterMs: number;
}

/** Outflow is measured over this window and cached briefly: every poll would otherwise count it. */
const OUTFLOW_WINDOW_SECONDS = 300;
const OUTFLOW_CACHE_MS = 5_000;
const SWEEP_BATCH = 100;
/** How long a sweep waits for a busy concert's queue row before leaving it for the next pass. */
const SWEEP_LOCK_WAIT_MS = 250;
/** Each retry finds the users that won the race among the existing entries, so one more try settles it. */
const ENTRY_ATTEMPTS = 3;

@Injectable()
export class QueueService {
  private readonly outflowCache = new Map<string, { perSecond: Promise<number>; measuredAt: number }>();
  /** Concurrent entries into one concert go in as one statement: one queue-row lock per batch. */
  private readonly entries = new PerConcertBatcher((concertId, userIds) =>
    this.enterBatch(concertId, userIds),
  );
  /** Concurrent polls of one concert's queue are answered by one query. */
  private readonly polls = new PerConcertBatcher((concertId, userIds) =>
    this.repo.findLiveEntries(this.prisma, concertId, userIds),
  );

  constructor(
    private readonly prisma: PrismaService,
    private readonly tx: TransactionRunner,
    private readonly repo: QueueRepository,
    private readonly metrics: EventMetrics,
  ) {}

  /** Enters the queue, or returns the current place when already in it (created: false). */
  async enter(userId: string, concertId: string): Promise<{ created: boolean; state: QueueState }> {
    const { result, repeated } = await this.entries.load(concertId, userId);
    if (!result) {
      const salesState = await this.repo.findSalesState(this.prisma, concertId);
      if (!salesState) throw new ConcertNotFoundError(concertId);
      throw new QueueConcertNotOnSaleError(concertId, salesState);
    }
    const { entry } = result;
    // A user's second request in the same batch created nothing.
    const created = result.created && !repeated;
    if (entry.status === 'ACTIVE' && !entry.windowOpen) {
      // A lapsed window the sweeper has not reached yet: end it now, then queue again at the back.
      await this.sweepConcert(concertId);
      return this.enter(userId, concertId);
    }
    return { created, state: await this.toState(entry) };
  }

  async getState(userId: string, concertId: string): Promise<QueueState> {
    const { result: entry } = await this.polls.load(concertId, userId);
    // A window that lapsed is over even before the sweeper marks it.
    if (!entry || (entry.status === 'ACTIVE' && !entry.windowOpen)) {
      if (!(await this.repo.findSalesState(this.prisma, concertId)))
        throw new ConcertNotFoundError(concertId);
      throw new QueueEntryNotFoundError(concertId);
    }
    return this.toState(entry);
  }

  /** The caller's state in each of these concerts where they are queued. */
  async statesForUser(userId: string, concertIds: string[]): Promise<Map<string, QueueState>> {
    const entries = await this.repo.findLiveEntriesOfUser(this.prisma, userId, concertIds);
    const states = await Promise.all(
      entries
        .filter((entry) => entry.status === 'WAITING' || entry.windowOpen)
        .map((entry) => this.toState(entry)),
    );
    return new Map(states.map((state) => [state.concertId, state]));
  }

  /** Leaves the queue; a freed active place goes to the next waiting user in the same statement. Idempotent. */
  async leave(userId: string, concertId: string): Promise<void> {
    const result = await this.repo.endEntriesAndRefill(this.prisma, concertId, { userId, status: 'LEFT' });
    if (!result) throw new ConcertNotFoundError(concertId);
    this.metrics.queueEntriesEndedCount('left', result.ended);
  }

  /**
   * Expires lapsed windows and fills free places, one short transaction per concert. A
   * concert's queue row is waited for only briefly: on a hot concert it is locked by entry
   * batches and payments most of the time, and skipping it outright (SKIP LOCKED) left
   * windows seconds past their expiry under load. Several replicas sweeping at once just
   * take turns; a concert still busy after the wait is left for the next pass.
   */
  async sweep(): Promise<{ expired: number; admitted: number }> {
    const concertIds = await this.repo.findConcertsToSweep(this.prisma, SWEEP_BATCH);
    let expired = 0;
    let admitted = 0;
    for (const concertId of concertIds) {
      const result = await this.sweepConcert(concertId, { lockWaitMs: SWEEP_LOCK_WAIT_MS }).catch(
        (error: unknown) => {
          if (classifyDatabaseError(error)?.code === 'CONCURRENT_UPDATE') return { expired: 0, admitted: 0 };
          throw error;
        },
      );
      expired += result.expired;
      admitted += result.admitted;
    }
    return { expired, admitted };
  }

  /** One statement for the batch; a user entered concurrently elsewhere makes it roll back, and it runs again. */
  private async enterBatch(
    concertId: string,
    userIds: string[],
  ): Promise<Map<string, { created: boolean; entry: LiveEntryRow }>> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.repo.enterMany(this.prisma, concertId, userIds);
      if (result !== 'ALREADY_IN_QUEUE') return result;
      if (attempt === ENTRY_ATTEMPTS) throw new ConcurrentEntryError(concertId);
    }
  }

  private async sweepConcert(
    concertId: string,
    options: { lockWaitMs?: number } = {},
  ): Promise<{ expired: number; admitted: number }> {
    const swept = await this.tx.run(async (tx) => {
      const result = await this.repo.endEntriesAndRefill(tx, concertId, { lapsedWindows: true }, options);
      return { expired: result?.ended ?? 0, admitted: result?.admitted ?? 0 };
    });
    this.metrics.queueEntriesEndedCount('expired', swept.expired);
    return swept;
  }

  private async toState(entry: LiveEntryRow): Promise<QueueState> {
    const position = queuePosition(entry);
    const waitSeconds =
      entry.status === 'ACTIVE'
        ? null
        : estimateWaitSeconds({
            position,
            capacity: entry.capacity,
            windowSeconds: entry.windowSeconds,
            outflowPerSecond: await this.outflowPerSecond(entry.concertId),
          });
    return {
      concertId: entry.concertId,
      status: entry.status,
      position,
      waitSeconds,
      expiresAt: entry.status === 'ACTIVE' ? entry.expiresAt : null,
      retryAfterMs: retryAfterMs({ status: entry.status, waitSeconds: waitSeconds ?? 0 }),
    };
  }

  /**
   * Windows that ended per second over the last few minutes. One measurement per concert is
   * shared: while it runs or is fresh, every poll uses it instead of counting again.
   */
  private outflowPerSecond(concertId: string): Promise<number> {
    const cached = this.outflowCache.get(concertId);
    if (cached && Date.now() - cached.measuredAt < OUTFLOW_CACHE_MS) return cached.perSecond;
    const perSecond = this.repo
      .countWindowsEndedSince(this.prisma, concertId, OUTFLOW_WINDOW_SECONDS)
      .then((ended) => ended / OUTFLOW_WINDOW_SECONDS);
    const measurement = { perSecond, measuredAt: Date.now() };
    this.outflowCache.set(concertId, measurement);
    // A failed measurement is not kept: the next poll measures again.
    perSecond.catch(() => {
      if (this.outflowCache.get(concertId) === measurement) this.outflowCache.delete(concertId);
    });
    return perSecond;
  }
}
