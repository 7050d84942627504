import type { SqlQuery } from '../../src/prisma/prisma.service.js';
import { randomUUID } from 'node:crypto';
import type { ReservationStatus, SeatStatus } from '../../src/generated/prisma/enums.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import { effectiveStatus } from '../../src/reservations/reservation-status.js';
import { seatStatusCode, type CatalogSeat } from '../../src/reservations/seat-catalog.js';
import type { ConcertRow } from '../../src/concerts/concerts.repository.js';
import type {
  HoldOutcome,
  HoldRequest,
  LockedReservation,
  LockedSeat,
  ReservationOwner,
  ReservationsRepository,
  ReservationView,
  SeatLayout,
  SeatMapRows,
  SeatStatusRows,
  SeatView,
} from '../../src/reservations/reservations.repository.js';
import type { PublicOf } from './fake.js';

export interface StoredSeat {
  id: string;
  concertId: string;
  number: string;
  position: number;
  price: number;
  status: SeatStatus;
  heldUntil: Date | null;
}

export interface StoredReservation {
  id: string;
  userId: string;
  concertId: string;
  seatId: string;
  price: number;
  status: ReservationStatus;
  expiresAt: Date;
  paymentId: string | null;
  createdAt: Date;
}

/**
 * seats and reservations in memory, with a clock the test moves (the real one reads the
 * database clock). Locks cannot be faked; instead every lock taken is appended to `locks`
 * (shared with other fakes if the test passes one array), so tests can check the order.
 */
export class InMemoryReservationsRepository implements PublicOf<ReservationsRepository> {
  readonly seats = new Map<string, StoredSeat>();
  readonly reservations = new Map<string, StoredReservation>();
  /** Statements run by releaseLapsedHolds, to check the sweeper's batching. */
  sweepStatements = 0;
  now = new Date('2025-01-01T10:00:00Z');

  constructor(readonly locks: string[] = []) {}

  advanceSeconds(seconds: number): void {
    this.now = new Date(this.now.getTime() + seconds * 1000);
  }

  /** Seats A1, A2, … of a concert; ids sort in seat order unless `ids` says otherwise. */
  addSeats(concertId: string, count: number, options: { price?: number; ids?: string[] } = {}): StoredSeat[] {
    const offset = [...this.seats.values()].filter((seat) => seat.concertId === concertId).length;
    return Array.from({ length: count }, (_, index) => {
      const position = offset + index + 1;
      const seat: StoredSeat = {
        id: options.ids?.[index] ?? `${concertId.slice(0, 8)}-seat-${String(position).padStart(4, '0')}`,
        concertId,
        number: `A${position}`,
        position,
        price: options.price ?? 1000,
        status: 'AVAILABLE',
        heldUntil: null,
      };
      this.seats.set(seat.id, seat);
      return seat;
    });
  }

  /** A hold as the service would leave it: the reservation PENDING and its seat HELD until it expires. */
  addHold(
    userId: string,
    seat: StoredSeat,
    options: { expiresInSeconds?: number; status?: ReservationStatus } = {},
  ): StoredReservation {
    const expiresAt = new Date(this.now.getTime() + (options.expiresInSeconds ?? 300) * 1000);
    const reservation: StoredReservation = {
      id: randomUUID(),
      userId,
      concertId: seat.concertId,
      seatId: seat.id,
      price: seat.price,
      status: options.status ?? 'PENDING',
      expiresAt,
      paymentId: options.status === 'CONFIRMED' ? randomUUID() : null,
      createdAt: this.now,
    };
    this.reservations.set(reservation.id, reservation);
    if (reservation.status === 'PENDING') Object.assign(seat, { status: 'HELD', heldUntil: expiresAt });
    if (reservation.status === 'CONFIRMED') Object.assign(seat, { status: 'SOLD', heldUntil: null });
    return reservation;
  }

  seat(id: string): StoredSeat {
    return this.seats.get(id)!;
  }

  reservation(id: string): StoredReservation {
    return this.reservations.get(id)!;
  }

  async readClock(): Promise<Date> {
    return this.now;
  }

  async lockSeats(_tx: Tx, seatIds: string[]): Promise<LockedSeat[]> {
    const seats = [...new Set(seatIds)]
      .map((id) => this.seats.get(id))
      .filter((seat) => seat !== undefined)
      .sort((a, b) => a.id.localeCompare(b.id));
    for (const seat of seats) this.locks.push(`seat:${seat.id}`);
    return seats.map(({ id, concertId, status, price, heldUntil }) => ({
      id,
      concertId,
      status,
      price,
      heldUntil,
    }));
  }

  /**
   * The hold rules live in the hold_seats SQL function and are tested against PostgreSQL;
   * here a test sets what the database answers, and sees what it was asked.
   */
  holdOutcome: HoldOutcome = { outcome: 'HELD', holds: [] };
  readonly holdRequests: HoldRequest[] = [];

  async holdSeats(_query: SqlQuery, request: HoldRequest): Promise<HoldOutcome> {
    this.holdRequests.push(request);
    return this.holdOutcome;
  }

  async releaseHeldSeats(_tx: Tx, seatIds: string[]): Promise<number> {
    return this.updateSeats(seatIds, 'HELD', { status: 'AVAILABLE', heldUntil: null });
  }

  async findOwners(_tx: Tx, reservationIds: string[]): Promise<ReservationOwner[]> {
    return this.existing(reservationIds).map(({ id, userId, seatId }) => ({ id, userId, seatId }));
  }

  async lockReservations(_tx: Tx, reservationIds: string[]): Promise<LockedReservation[]> {
    const locked = this.existing(reservationIds).sort((a, b) => a.id.localeCompare(b.id));
    for (const reservation of locked) this.locks.push(`reservation:${reservation.id}`);
    return locked.map(({ id, userId, concertId, seatId, price, status, expiresAt }) => ({
      id,
      userId,
      concertId,
      seatId,
      price,
      status,
      expiresAt,
    }));
  }

  async cancelPendingReservation(_tx: Tx, reservationId: string): Promise<number> {
    const reservation = this.reservations.get(reservationId);
    if (reservation?.status !== 'PENDING') return 0;
    reservation.status = 'CANCELLED';
    return 1;
  }

  async releaseLapsedHolds(_tx: Tx, batchSize: number): Promise<number> {
    this.sweepStatements++;
    const lapsed = [...this.seats.values()]
      .filter((seat) => seat.status === 'HELD' && seat.heldUntil! <= this.now)
      .sort((a, b) => a.heldUntil!.getTime() - b.heldUntil!.getTime())
      .slice(0, batchSize);
    for (const seat of lapsed) {
      for (const r of this.reservations.values())
        if (r.seatId === seat.id && r.status === 'PENDING') r.status = 'EXPIRED';
      Object.assign(seat, { status: 'AVAILABLE', heldUntil: null });
    }
    return lapsed.length;
  }

  /** Users with an open queue window per concert, as `${userId}:${concertId}`; the concert comes from `concerts`. */
  readonly openWindows = new Set<string>();
  readonly concerts = new Map<string, ConcertRow>();
  /** The seat layout each findSeatMap call was given (null: count them). */
  readonly knownSeatLayouts: (SeatLayout | null)[] = [];

  async findPendingOpening(_tx: Tx, concertId: string): Promise<{ salesOpenAt: Date } | undefined> {
    const concert = this.concerts.get(concertId);
    return concert?.salesState === 'UPCOMING' && concert.salesOpenAt
      ? { salesOpenAt: concert.salesOpenAt }
      : undefined;
  }

  async findSeatMap(
    _query: SqlQuery,
    userId: string,
    concertId: string,
    page: { offset: number; limit: number; status?: SeatStatus },
    layout: SeatLayout | null = null,
  ): Promise<SeatMapRows | null> {
    this.knownSeatLayouts.push(layout);
    const concert = this.concerts.get(concertId);
    if (!concert) return null;
    const windowOpen = this.openWindows.has(`${userId}:${concertId}`);
    if (!windowOpen) return { concert, windowOpen, total: 0, positionsDense: null, seatsJson: '[]' };
    const seats = this.seatViews(userId, concertId).filter(
      (seat) => !page.status || seat.status === page.status,
    );
    const counted = layout === null && !page.status;
    return {
      concert,
      windowOpen,
      total: layout !== null && !page.status ? layout.count : seats.length,
      // The fake's seats are numbered 1..n in order.
      positionsDense: counted ? true : null,
      seatsJson: JSON.stringify(seats.slice(page.offset, page.offset + page.limit)),
    };
  }

  /** The pages read by status codes, as offsets. */
  readonly seatStatusReads: number[] = [];

  async findSeatStatuses(
    _query: SqlQuery,
    userId: string,
    concertId: string,
    page: { offset: number; limit: number },
  ): Promise<SeatStatusRows | null> {
    this.seatStatusReads.push(page.offset);
    const concert = this.concerts.get(concertId);
    if (!concert) return null;
    const windowOpen = this.openWindows.has(`${userId}:${concertId}`);
    if (!windowOpen) return { concert, windowOpen, statusCodes: '' };
    const statusCodes = this.seatViews(userId, concertId)
      .slice(page.offset, page.offset + page.limit)
      .map((seat) => seatStatusCode(seat.status, seat.mine))
      .join('');
    return { concert, windowOpen, statusCodes };
  }

  async findCatalogSeats(_query: SqlQuery, concertId: string): Promise<CatalogSeat[]> {
    return this.seatsOf(concertId).map(({ id, number, price }) => ({ id, number, section: 'A', price }));
  }

  private seatViews(userId: string, concertId: string): SeatView[] {
    const mine = new Set(
      [...this.reservations.values()]
        .filter((reservation) => reservation.userId === userId)
        .filter((reservation) => ['PENDING', 'CONFIRMED'].includes(effectiveStatus(reservation, this.now)))
        .map((reservation) => reservation.seatId),
    );
    return this.seatsOf(concertId).map((seat) => ({
      id: seat.id,
      number: seat.number,
      section: 'A',
      // In the seat-map statement's order of fields.
      price: seat.price,
      status: seat.status === 'HELD' && seat.heldUntil! <= this.now ? ('AVAILABLE' as const) : seat.status,
      mine: mine.has(seat.id),
    }));
  }

  async findReservationPage(
    _tx: Tx,
    userId: string,
    status: ReservationStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<ReservationView[]> {
    return this.viewsOf(userId, status).slice(offset, offset + limit);
  }

  async countReservations(_tx: Tx, userId: string, status: ReservationStatus | undefined): Promise<number> {
    return this.viewsOf(userId, status).length;
  }

  async findReservationsOfPayment(_tx: Tx, paymentId: string): Promise<ReservationView[]> {
    return [...this.reservations.values()].filter((r) => r.paymentId === paymentId).map((r) => this.view(r));
  }

  private existing(reservationIds: string[]): StoredReservation[] {
    return reservationIds.map((id) => this.reservations.get(id)).filter((r) => r !== undefined);
  }

  private updateSeats(
    seatIds: string[],
    from: SeatStatus,
    change: Pick<StoredSeat, 'status' | 'heldUntil'>,
  ): number {
    const seats = seatIds.map((id) => this.seats.get(id)).filter((seat) => seat?.status === from);
    for (const seat of seats) Object.assign(seat!, change);
    return seats.length;
  }

  seatsOf(concertId: string): StoredSeat[] {
    return [...this.seats.values()]
      .filter((seat) => seat.concertId === concertId)
      .sort((a, b) => a.position - b.position);
  }

  private viewsOf(userId: string, status: ReservationStatus | undefined): ReservationView[] {
    return [...this.reservations.values()]
      .filter((r) => r.userId === userId)
      .map((r) => this.view(r))
      .filter((view) => !status || view.status === status)
      .sort((a, b) => b.reservedAt.getTime() - a.reservedAt.getTime() || b.id.localeCompare(a.id));
  }

  private view(reservation: StoredReservation): ReservationView {
    const seat = this.seat(reservation.seatId);
    return {
      id: reservation.id,
      concertId: reservation.concertId,
      concertName: 'Concert',
      seatId: seat.id,
      seatNumber: seat.number,
      price: reservation.price,
      status: effectiveStatus(reservation, this.now),
      reservedAt: reservation.createdAt,
      expiresAt: reservation.expiresAt,
      // The fake keeps no payments table: a paid reservation reads as paid when it was reserved.
      paidAt: reservation.paymentId ? reservation.createdAt : null,
    };
  }
}
