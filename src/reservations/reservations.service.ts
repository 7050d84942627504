import { Injectable } from '@nestjs/common';
import type { ConcertRow } from '../concerts/concerts.repository.js';
import { ConcertsService } from '../concerts/concerts.service.js';
import { AppConfig } from '../config/app-config.js';
import type { ReservationStatus } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner, type Tx } from '../prisma/transaction-runner.js';
import { QueueService } from '../queue/queue.service.js';
import { effectiveStatus, isSeatBookable } from './reservation-status.js';
import {
  HoldLimitExceededError,
  InvalidSeatSelectionError,
  ReservationAlreadyPaidError,
  ReservationExpiredError,
  ReservationForbiddenError,
  ReservationNotFoundError,
  ReservationNotPendingError,
  SeatAlreadyReservedError,
  SeatNotFoundError,
} from './reservations.errors.js';
import {
  ReservationsRepository,
  type HeldReservation,
  type LockedReservation,
  type ReservationView,
  type SeatView,
} from './reservations.repository.js';

export interface SeatMap {
  concert: ConcertRow;
  seats: SeatView[];
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

/** A reservation locked for payment: PENDING, the caller's, unexpired. */
export type PayableReservation = LockedReservation;

/** Lapsed holds released per statement by the sweeper. */
export const HOLD_SWEEP_BATCH = 500;

@Injectable()
export class ReservationsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly tx: TransactionRunner,
    private readonly repo: ReservationsRepository,
    private readonly concerts: ConcertsService,
    private readonly queue: QueueService,
    private readonly config: AppConfig,
  ) {}

  /** The concert's seats for a caller with an open queue window; an unknown concert is 404 before the gate. */
  async getSeatMap(userId: string, concertId: string, page: number, limit: number): Promise<SeatMap> {
    const concert = await this.assertConcertAndWindow(userId, concertId);
    const [seats, total] = await Promise.all([
      this.repo.findSeatPage(this.prisma, concertId, (page - 1) * limit, limit),
      this.repo.countSeats(this.prisma, concertId),
    ]);
    return { concert, seats, page, limit, total };
  }

  /**
   * Holds every seat or none. Seats are locked in id order without waiting: a seat another
   * request is holding or paying right now answers 409 at once. A seat whose hold lapsed is
   * bookable, and its old reservation is marked EXPIRED in the same transaction.
   */
  async holdSeats(userId: string, concertId: string, seatIds: string[]): Promise<HeldReservation[]> {
    this.assertSeatSelection(seatIds);
    const { maxSeatsPerReservation, reservationHoldSeconds } = this.config;
    const holds = await this.tx.run(async (tx) => {
      // On the transaction's own connection: under load, waiting for a pool connection
      // costs more than these two reads, so a hold asks the pool only once.
      await this.concerts.findConcertOrThrow(concertId, tx);
      await this.queue.assertActiveWindow(userId, concertId, tx);
      await this.repo.lockUserHolds(tx, userId, concertId);
      // Counted before the seats are locked, to keep that span short: under the user's lock
      // their live holds can only go down meanwhile (paid, cancelled, lapsed), never up.
      const { now, held } = await this.repo.countLiveHolds(tx, userId, concertId);
      if (held + seatIds.length > maxSeatsPerReservation) {
        throw new HoldLimitExceededError(maxSeatsPerReservation, held, seatIds.length);
      }

      const locked = await this.repo.lockSeatsNoWait(tx, seatIds);
      if (!locked) throw new SeatAlreadyReservedError(seatIds);
      const seats = locked.filter((seat) => seat.concertId === concertId);
      const found = new Set(seats.map((seat) => seat.id));
      const missing = seatIds.filter((seatId) => !found.has(seatId));
      if (missing.length) throw new SeatNotFoundError(concertId, missing);

      const taken = seats.filter((seat) => !isSeatBookable(seat, now));
      if (taken.length) throw new SeatAlreadyReservedError(taken.map((seat) => seat.id));

      if (seats.some((seat) => seat.status === 'HELD')) {
        await this.repo.expireLapsedReservationsOfSeats(tx, seatIds, now);
      }
      const expiresAt = new Date(now.getTime() + reservationHoldSeconds * 1000);
      return this.repo.insertHolds(tx, { userId, concertId, seats, expiresAt });
    });
    const bySeat = new Map(holds.map((hold) => [hold.seatId, hold]));
    return seatIds.map((seatId) => bySeat.get(seatId)!);
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
  }

  /**
   * For payments, inside their transaction: checks the reservations in the contract's
   * order (unknown 404, another user's 403, paid 409, lapsed 410) and returns them locked,
   * in the order asked. Locks their seats (by id), then the reservations themselves.
   */
  async lockPayable(tx: Tx, userId: string, reservationIds: string[]): Promise<PayableReservation[]> {
    const owners = await this.repo.findOwners(tx, reservationIds);
    const known = new Set(owners.map((owner) => owner.id));
    const unknown = reservationIds.filter((id) => !known.has(id));
    if (unknown.length) throw new ReservationNotFoundError(unknown);
    const foreign = owners.filter((owner) => owner.userId !== userId).map((owner) => owner.id);
    if (foreign.length) throw new ReservationForbiddenError(foreign);

    await this.repo.lockSeats(
      tx,
      owners.map((owner) => owner.seatId),
    );
    const locked = await this.repo.lockReservations(tx, reservationIds);
    const now = await this.repo.readClock(tx);
    const paid = locked
      .filter((reservation) => reservation.status === 'CONFIRMED')
      .map((reservation) => reservation.id);
    if (paid.length) throw new ReservationAlreadyPaidError(paid);
    const lapsed = locked
      .filter((reservation) => effectiveStatus(reservation, now) !== 'PENDING')
      .map((reservation) => reservation.id);
    if (lapsed.length) throw new ReservationExpiredError(lapsed);

    const byId = new Map(locked.map((reservation) => [reservation.id, reservation]));
    return reservationIds.map((id) => byId.get(id)!);
  }

  /** Confirms reservations returned by lockPayable in the same transaction and sells their seats. */
  async confirmPaid(tx: Tx, reservations: PayableReservation[], paymentId: string): Promise<void> {
    const confirmed = await this.repo.confirmPendingReservations(
      tx,
      reservations.map((reservation) => reservation.id),
      paymentId,
    );
    const sold = await this.repo.markSeatsSold(
      tx,
      reservations.map((reservation) => reservation.seatId),
    );
    // Both hold under the locks lockPayable took; anything else is a bug, and the payment rolls back.
    if (confirmed !== reservations.length || sold !== reservations.length) {
      throw new Error(
        `Payment ${paymentId}: confirmed ${confirmed} and sold ${sold} of ${reservations.length} reservations`,
      );
    }
  }

  findReservationsOfPayment(paymentId: string, tx: Tx = this.prisma): Promise<ReservationView[]> {
    return this.repo.findReservationsOfPayment(tx, paymentId);
  }

  /** For the sweeper: releases lapsed holds in batches until none is left; returns how many. */
  async expireLapsedHolds(): Promise<number> {
    let released = 0;
    for (;;) {
      const batch = await this.repo.releaseLapsedHolds(this.prisma, HOLD_SWEEP_BATCH);
      released += batch;
      if (batch < HOLD_SWEEP_BATCH) return released;
    }
  }

  /**
   * Both checks at once, answered in the contract's order: an unknown concert is a 404
   * before a missing queue window is a 403. Outside any transaction, so that no lock waits on them.
   */
  private async assertConcertAndWindow(userId: string, concertId: string): Promise<ConcertRow> {
    const [concert, window] = await Promise.allSettled([
      this.concerts.findConcertOrThrow(concertId),
      this.queue.assertActiveWindow(userId, concertId),
    ]);
    if (concert.status === 'rejected') throw concert.reason;
    if (window.status === 'rejected') throw window.reason;
    return concert.value;
  }

  /** The DTO checks the same for HTTP; the maximum is configuration, so the service has the last word. */
  private assertSeatSelection(seatIds: string[]): void {
    const max = this.config.maxSeatsPerReservation;
    if (!seatIds.length) throw new InvalidSeatSelectionError('none given', max);
    if (seatIds.length > max) throw new InvalidSeatSelectionError(`${seatIds.length} given`, max);
    if (new Set(seatIds).size !== seatIds.length)
      throw new InvalidSeatSelectionError('a seat id is repeated', max);
  }
}
