import { Injectable, Logger } from '@nestjs/common';
import {
  ConcertNotFoundError,
  SalesClosedError,
  SalesNotOpenError,
  SalesPausedError,
} from '../concerts/concerts.errors.js';
import type { ConcertRow } from '../concerts/concerts.repository.js';
import { unexpectedOutcome } from '../database/function-outcomes.js';
import { AppConfig } from '../config/app-config.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import type { ReservationStatus, SeatStatus } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner, type Db } from '../prisma/transaction-runner.js';
import { QueueNotActiveError } from '../queue/queue.errors.js';
import { QueueExits } from '../queue/queue-exits.js';
import { effectiveStatus } from './reservation-status.js';
import { SeatCatalog, SeatCatalogCache } from './seat-catalog.js';
import {
  HoldLimitExceededError,
  InvalidSeatSelectionError,
  ReservationForbiddenError,
  ReservationNotFoundError,
  ReservationNotPendingError,
  SeatAlreadyReservedError,
  SeatNotFoundError,
} from './reservations.errors.js';
import {
  ReservationsRepository,
  type HeldReservation,
  type ReservationView,
  type SeatLayout,
  type SeatMapRows,
} from './reservations.repository.js';

export interface SeatMap {
  concert: ConcertRow;
  /** A JSON array of SeatView: as the database wrote it (findSeatMap), or from the seat catalog. */
  seatsJson: string;
  page: number;
  limit: number;
  total: number;
}

export interface ReservationPage {
  reservations: ReservationView[];
  page: number;
  limit: number;
  total: number;
}

/** Rows other features see through this service, so they never import the repository. */
export type { ReservationView };

/** Seats whose catalogs one replica keeps (about 100 MB): a hundred concerts of 10,000 seats. */
export const MAX_CATALOGUED_SEATS = 1_000_000;

/** Lapsed holds released per statement by the sweeper. */
export const HOLD_SWEEP_BATCH = 500;

@Injectable()
export class ReservationsService {
  /**
   * Seats per concert, as counted by an earlier unfiltered seat map, and whether their
   * positions are 1..n. A concert's seats are created with it and never added, removed or
   * moved, so neither goes stale; counting them on every page was the largest part of a seat
   * map's cost in a rush, and paging by OFFSET the largest part of a late page's.
   */
  private readonly seatLayouts = new Map<string, SeatLayout>();
  /**
   * The unfiltered seat map in flight that will learn a concert's layout. At an opening every
   * buyer's first page arrives at once: without this, each counted the seats (193 of the first 400
   * pages of a fresh concert in the rush bench); with it they wait for the first, then use its layout.
   */
  private readonly seatLayoutReads = new Map<string, Promise<unknown>>();
  /**
   * Each concert's seats rendered once (SeatCatalog), for concerts with positions 1..n (all made
   * through the API): learnt with the layout, after the first unfiltered page of a caller with
   * an open window; at most MAX_CATALOGUED_SEATS seats in all, and let go when a page finds the
   * concert closed.
   */
  private readonly seatCatalogs = new SeatCatalogCache(MAX_CATALOGUED_SEATS);
  private readonly logger = new Logger(ReservationsService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly tx: TransactionRunner,
    private readonly repo: ReservationsRepository,
    private readonly config: AppConfig,
    private readonly metrics: EventMetrics,
    private readonly queueExits: QueueExits,
  ) {}

  /**
   * The concert's seats for a caller with an open queue window; an unknown concert is 404 and
   * one whose sales are closed (by the database clock) 409, before the gate. PAUSED shows seats:
   * holds made before the pause can still be paid.
   */
  async getSeatMap(
    userId: string,
    concertId: string,
    query: { page: number; limit: number; status?: SeatStatus },
  ): Promise<SeatMap> {
    const { page, limit, status } = query;
    const offset = (page - 1) * limit;
    const read = (layout: SeatLayout | null) =>
      this.repo.findSeatMap(this.prisma.poolQuery, userId, concertId, { offset, limit, status }, layout);
    // A filtered total changes with every hold and sale: only the unfiltered one is known.
    const map =
      status === undefined
        ? await this.unfilteredSeatMap(userId, concertId, offset, limit, read)
        : await read(null);
    if (!map) throw new ConcertNotFoundError(concertId);
    if (map.concert.salesState === 'CLOSED') {
      // Nothing is sold once closed: what this replica learnt of its seats is let go.
      this.seatLayouts.delete(concertId);
      this.seatCatalogs.delete(concertId);
      throw new SalesClosedError({ concertId });
    }
    if (map.concert.salesState === 'UPCOMING')
      throw new SalesNotOpenError(concertId, map.concert.salesOpenAt);
    if (!map.windowOpen) throw await this.queueNotActive(userId, concertId);
    return { concert: map.concert, seatsJson: map.seatsJson, page, limit, total: map.total };
  }

  /**
   * An unfiltered page: with the concert's seat catalog, its seats' states from the database
   * and the rest from the catalog; otherwise `read` with the concert's layout when this replica
   * knows it, or once a read in flight has learnt it.
   */
  private async unfilteredSeatMap(
    userId: string,
    concertId: string,
    offset: number,
    limit: number,
    read: (layout: SeatLayout | null) => Promise<SeatMapRows | null>,
  ): Promise<SeatMapRows | null> {
    const byKnown = () => {
      const catalog = this.seatCatalogs.get(concertId);
      if (catalog) return this.cataloguedSeatMap(userId, concertId, offset, limit, catalog);
      const layout = this.seatLayouts.get(concertId);
      return layout && read(layout);
    };
    const known = byKnown();
    if (known) return known;
    const learning = this.seatLayoutReads.get(concertId);
    if (learning) {
      await learning;
      return byKnown() ?? read(null);
    }
    const first = read(null).then(async (rows) => {
      // Only a caller with an open window is told the layout; seats never change after creation.
      if (rows?.positionsDense != null) {
        this.seatLayouts.set(concertId, { count: rows.total, positionsDense: rows.positionsDense });
        if (rows.positionsDense) await this.learnSeatCatalog(concertId, rows.total);
      }
      return rows;
    });
    this.seatLayoutReads.set(
      concertId,
      first.catch(() => undefined),
    );
    try {
      return await first;
    } finally {
      this.seatLayoutReads.delete(concertId);
    }
  }

  private async cataloguedSeatMap(
    userId: string,
    concertId: string,
    offset: number,
    limit: number,
    catalog: SeatCatalog,
  ): Promise<SeatMapRows | null> {
    const rows = await this.repo.findSeatStatuses(this.prisma.poolQuery, userId, concertId, {
      offset,
      limit,
    });
    if (!rows) return null;
    const { concert, windowOpen, statusCodes } = rows;
    if (!windowOpen) return { concert, windowOpen, total: 0, positionsDense: null, seatsJson: '[]' };
    return {
      concert,
      windowOpen,
      total: catalog.count,
      positionsDense: true,
      seatsJson: catalog.pageJson(offset, limit, statusCodes),
    };
  }

  /**
   * Reads and renders the concert's seats once for this replica. On failure the concert's pages
   * go on by its layout (findSeatMap), as before the catalog existed.
   */
  private async learnSeatCatalog(concertId: string, count: number): Promise<void> {
    try {
      const seats = await this.repo.findCatalogSeats(this.prisma.poolQuery, concertId);
      if (seats.length !== count) return;
      // A concert let go is learnt again, layout and catalog, by its next page.
      for (const evicted of this.seatCatalogs.set(concertId, SeatCatalog.of(seats)))
        this.seatLayouts.delete(evicted);
    } catch (error) {
      this.logger.warn(`Seat catalog of concert ${concertId} not read: ${String(error)}`);
    }
  }

  /**
   * Holds every seat or none, in one database round trip: under a seat rush, holds spent far
   * longer waiting for a pool connection than running, and a transaction of several statements
   * keeps its connection for all of them. A seat another request is holding or paying right
   * now answers 409 at once; a seat whose hold lapsed is bookable, and its old reservation ends.
   */
  async holdSeats(userId: string, concertId: string, seatIds: string[]): Promise<HeldReservation[]> {
    this.assertSeatSelection(seatIds);
    const result = await this.repo.holdSeats(this.prisma.poolQuery, {
      userId,
      concertId,
      seatIds,
      maxSeats: this.config.maxSeatsPerReservation,
      holdSeconds: this.config.reservationHoldSeconds,
    });
    switch (result.outcome) {
      case 'HELD':
        this.metrics.holdsCreatedCount(result.holds.length);
        return result.holds;
      case 'CONCERT_NOT_FOUND':
        throw new ConcertNotFoundError(concertId);
      case 'SALES_PAUSED':
        throw new SalesPausedError(concertId);
      case 'SALES_CLOSED':
        throw new SalesClosedError({ concertId });
      case 'QUEUE_NOT_ACTIVE': {
        // Before the opening nobody has a window (entries wait in the pre-queue): say why.
        const opening = await this.repo.findPendingOpening(this.prisma, concertId);
        if (opening) throw new SalesNotOpenError(concertId, opening.salesOpenAt);
        throw await this.queueNotActive(userId, concertId);
      }
      case 'HOLD_LIMIT_EXCEEDED':
        throw new HoldLimitExceededError(this.config.maxSeatsPerReservation, result.held, seatIds.length);
      case 'SEAT_NOT_FOUND':
        throw new SeatNotFoundError(concertId, result.seatIds);
      case 'SEAT_LOCKED':
      case 'SEAT_ALREADY_RESERVED':
        throw new SeatAlreadyReservedError(result.seatIds);
      default:
        return unexpectedOutcome('hold_seats', result);
    }
  }

  async listReservations(
    userId: string,
    page: number,
    limit: number,
    status?: ReservationStatus,
  ): Promise<ReservationPage> {
    const [reservations, total] = await Promise.all([
      this.repo.findReservationPage(this.prisma, userId, status, (page - 1) * limit, limit),
      this.repo.countReservations(this.prisma, userId, status),
    ]);
    return { reservations, page, limit, total };
  }

  /** Cancels the caller's live hold and frees its seat. */
  async cancelReservation(userId: string, reservationId: string): Promise<void> {
    await this.tx.run(async (tx) => {
      const [owner] = await this.repo.findOwners(tx, [reservationId]);
      if (!owner) throw new ReservationNotFoundError([reservationId]);
      if (owner.userId !== userId) throw new ReservationForbiddenError([reservationId]);

      await this.repo.lockSeats(tx, [owner.seatId]);
      const [reservation] = await this.repo.lockReservations(tx, [owner.id]);
      const status = effectiveStatus(reservation!, await this.repo.readClock(tx));
      if (status !== 'PENDING') throw new ReservationNotPendingError(owner.id, status);

      await this.repo.cancelPendingReservation(tx, owner.id);
      await this.repo.releaseHeldSeats(tx, [owner.seatId]);
    });
    this.metrics.holdsEndedCount('cancelled', 1);
  }

  findReservationsOfPayment(paymentId: string, tx: Db = this.prisma): Promise<ReservationView[]> {
    return this.repo.findReservationsOfPayment(tx, paymentId);
  }

  /** For the sweeper: releases lapsed holds in batches until none is left; returns how many. */
  async expireLapsedHolds(): Promise<number> {
    let released = 0;
    for (;;) {
      const batch = await this.repo.releaseLapsedHolds(this.prisma, HOLD_SWEEP_BATCH);
      released += batch;
      this.metrics.holdsEndedCount('expired', batch);
      if (batch < HOLD_SWEEP_BATCH) return released;
    }
  }

  /** The DTO checks the same for HTTP; the maximum is configuration, so the service has the last word. */
  /** The gate's refusal, with how the caller's place ended when it did within the last hour. */
  private async queueNotActive(userId: string, concertId: string): Promise<QueueNotActiveError> {
    return new QueueNotActiveError(concertId, await this.queueExits.latest(userId, concertId));
  }

  private assertSeatSelection(seatIds: string[]): void {
    const max = this.config.maxSeatsPerReservation;
    if (!seatIds.length) throw new InvalidSeatSelectionError('none given', max);
    if (seatIds.length > max) throw new InvalidSeatSelectionError(`${seatIds.length} given`, max);
    if (new Set(seatIds).size !== seatIds.length)
      throw new InvalidSeatSelectionError('a seat id is repeated', max);
  }
}
