import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { AppConfig } from '../config/app-config.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner } from '../prisma/transaction-runner.js';
import {
  ConcertDateInPastError,
  ConcertNotFoundError,
  InvalidSalesCloseAtError,
  InvalidSalesOpenAtError,
  NoConcertChangesError,
  SalesAlreadyOpenError,
  SalesClosedError,
} from './concerts.errors.js';
import {
  ConcertsRepository,
  type ConcertRow,
  type ConcertSettingsChange,
  type ConcertStatsRow,
  type ConcertWithSeatCount,
} from './concerts.repository.js';
import { QUEUE_STATE_READER, type QueueState, type QueueStateReader } from './queue-state-reader.js';
import { planSeats, type SeatMapInput } from './seat-plan.js';

export interface NewConcertRequest extends SeatMapInput {
  name: string;
  venue: string;
  startsAt: string;
  /** When sales close by themselves, before startsAt; they close at startsAt without it. */
  salesCloseAt?: string;
  /** When sales open, after a pre-queue and its draw; without it, at once. */
  salesOpenAt?: string;
  preQueueOpensSeconds?: number;
  queueCapacity?: number;
  queueWindowSeconds?: number;
  queueClaimSeconds?: number;
}

/** The draw's secret seed: 32 random bytes, hex. Its sha256 is published at once (the commitment). */
const newDrawSeed = (): string => randomBytes(32).toString('hex');

/** Concerts closed per sweeper pass at most; the rest wait for the next pass. */
const CLOSE_SWEEP_BATCH = 100;

export interface ConcertSettingsRequest extends Omit<
  ConcertSettingsChange,
  'salesCloseAt' | 'salesOpenAt' | 'drawSeed'
> {
  /** ISO 8601; in the future and not after startsAt. */
  salesCloseAt?: string;
  /** ISO 8601; in the future and before the sales close; only before the opening and before anyone queued. */
  salesOpenAt?: string;
}

export interface ConcertListing extends ConcertRow {
  /** The caller's live queue entry for this concert, if any. */
  queue: QueueState | undefined;
}

@Injectable()
export class ConcertsService {
  constructor(
    private readonly tx: TransactionRunner,
    /** Single-statement reads need no transaction; the client stands in for `tx`. */
    private readonly prisma: PrismaService,
    private readonly repo: ConcertsRepository,
    private readonly config: AppConfig,
    @Inject(QUEUE_STATE_READER) private readonly queueStates: QueueStateReader,
  ) {}

  /** The concert, its queue row and every seat commit together or not at all. */
  async createConcert(request: NewConcertRequest): Promise<ConcertWithSeatCount> {
    const seats = planSeats(request);
    const startsAt = new Date(request.startsAt);
    const salesCloseAt = request.salesCloseAt == null ? null : new Date(request.salesCloseAt);
    const salesOpenAt = request.salesOpenAt == null ? null : new Date(request.salesOpenAt);
    if (salesCloseAt && salesCloseAt > startsAt) throw new InvalidSalesCloseAtError(salesCloseAt, startsAt);
    if (salesOpenAt && salesOpenAt >= (salesCloseAt ?? startsAt))
      throw new InvalidSalesOpenAtError(salesOpenAt, salesCloseAt ?? startsAt);
    return this.tx.run(async (tx) => {
      const concert = await this.repo.insertUpcomingConcert(tx, {
        name: request.name,
        venue: request.venue,
        startsAt,
        salesCloseAt,
        salesOpenAt,
        preQueueOpensSeconds: request.preQueueOpensSeconds ?? this.config.queue.preQueueOpensSeconds,
        drawSeed: salesOpenAt ? newDrawSeed() : null,
        queueCapacity: request.queueCapacity ?? this.config.queue.activeCapacity,
        queueWindowSeconds: request.queueWindowSeconds ?? this.config.queue.windowSeconds,
        queueClaimSeconds: request.queueClaimSeconds ?? this.config.queue.claimSeconds,
      });
      if (concert === 'STARTS_IN_PAST') throw new ConcertDateInPastError(startsAt);
      if (concert === 'SALES_CLOSE_IN_PAST') throw new InvalidSalesCloseAtError(salesCloseAt!, startsAt);
      if (concert === 'SALES_OPEN_IN_PAST')
        throw new InvalidSalesOpenAtError(salesOpenAt!, salesCloseAt ?? startsAt);
      await this.repo.createQueue(tx, concert.id);
      const seatCount = await this.repo.insertSeats(tx, concert.id, seats);
      return { ...concert, seatCount };
    });
  }

  async getConcertStats(concertId: string): Promise<ConcertStatsRow> {
    const stats = await this.repo.findConcertStats(this.prisma, concertId);
    if (!stats) throw new ConcertNotFoundError(concertId);
    return stats;
  }

  /**
   * Queue admission reads these settings, so a PAUSED concert stops admitting from its next
   * admission on. A change of sales (state or close time) holds the concert's sales lock, so
   * every entry, admission, hold and payment of the concert falls wholly before or after it;
   * closing also releases every unpaid hold and ends every live queue entry in the same
   * transaction. CLOSED is final: reopening would need back the queue the close dismissed.
   * The opening (salesOpenAt) moves only while the sales have not opened for the draw and
   * nobody has taken a ticket: drawn tickets are 1..k (see open_sales_for_draw).
   */
  async changeConcertSettings(
    concertId: string,
    change: ConcertSettingsRequest,
  ): Promise<ConcertWithSeatCount> {
    const { salesState, queueCapacity, queueWindowSeconds, queueClaimSeconds, preQueueOpensSeconds } = change;
    const salesCloseAt = change.salesCloseAt == null ? undefined : new Date(change.salesCloseAt);
    const salesOpenAt = change.salesOpenAt == null ? undefined : new Date(change.salesOpenAt);
    if (
      salesState == null &&
      salesCloseAt == null &&
      salesOpenAt == null &&
      preQueueOpensSeconds == null &&
      queueCapacity == null &&
      queueWindowSeconds == null &&
      queueClaimSeconds == null
    )
      throw new NoConcertChangesError();
    const salesChange = salesState != null || salesCloseAt != null || salesOpenAt != null;
    return this.tx.run(async (tx) => {
      if (salesChange) {
        const sales = await this.repo.lockSales(tx, concertId);
        if (!sales) throw new ConcertNotFoundError(concertId);
        if (
          sales.salesState === 'CLOSED' &&
          (salesCloseAt != null || salesOpenAt != null || (salesState ?? 'CLOSED') !== 'CLOSED')
        )
          throw new SalesClosedError({ concertId });
        if (salesCloseAt && (salesCloseAt <= sales.now || salesCloseAt > sales.startsAt))
          throw new InvalidSalesCloseAtError(salesCloseAt, sales.startsAt);
        const closesAt = salesCloseAt ?? sales.salesCloseAt ?? sales.startsAt;
        if (salesOpenAt) {
          if (!sales.openingMovable) throw new SalesAlreadyOpenError(concertId);
          if (salesOpenAt <= sales.now || salesOpenAt >= closesAt)
            throw new InvalidSalesOpenAtError(salesOpenAt, closesAt);
        } else if (sales.salesOpenAt && sales.openingMovable && sales.salesOpenAt >= closesAt) {
          throw new InvalidSalesOpenAtError(sales.salesOpenAt, closesAt);
        }
      }
      const concert = await this.repo.changeConcertSettings(tx, concertId, {
        salesState,
        salesCloseAt,
        salesOpenAt,
        drawSeed: salesOpenAt ? newDrawSeed() : undefined,
        preQueueOpensSeconds,
        queueCapacity,
        queueWindowSeconds,
        queueClaimSeconds,
      });
      if (!concert) throw new ConcertNotFoundError(concertId);
      if (salesChange && concert.salesState === 'CLOSED') await this.repo.closeSales(tx, concertId);
      return concert;
    });
  }

  /**
   * For the sweeper: stores CLOSED for concerts whose sales close time has passed, releasing
   * their holds and ending their queue entries, one short transaction per concert. Every path
   * already refuses them by the database clock; this tidies up. A concert whose sales lock
   * stays busy longer than `lockWaitMs` is left for the next pass.
   */
  async closeLapsedSales(lockWaitMs: number): Promise<{ closed: number; released: number; ended: number }> {
    const concertIds = await this.repo.findConcertsPastSalesClose(this.prisma, CLOSE_SWEEP_BATCH);
    const total = { closed: 0, released: 0, ended: 0 };
    for (const concertId of concertIds) {
      const result = await this.tx
        .run((tx) => this.repo.closeSales(tx, concertId, { lockWaitMs }))
        .catch((error: unknown) => {
          if (classifyDatabaseError(error)?.code === 'CONCURRENT_UPDATE') return null;
          throw error;
        });
      if (!result) continue;
      total.closed++;
      total.released += result.released;
      total.ended += result.ended;
    }
    return total;
  }

  listAllConcerts(): Promise<ConcertWithSeatCount[]> {
    return this.repo.listAllWithSeatCount(this.prisma);
  }

  async listConcertsOnSale(userId: string): Promise<ConcertListing[]> {
    const concerts = await this.repo.listUpcomingOnSaleOrPaused(this.prisma);
    if (!concerts.length) return [];
    const states = await this.queueStates.forUser(
      userId,
      concerts.map((concert) => concert.id),
    );
    return concerts.map((concert) => ({ ...concert, queue: states.get(concert.id) }));
  }

  listAvailableDates(): Promise<ConcertRow[]> {
    return this.repo.listUpcomingWithAvailableSeats(this.prisma);
  }
}
