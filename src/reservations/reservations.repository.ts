import { Injectable } from '@nestjs/common';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { Prisma } from '../generated/prisma/client.js';
import type { ReservationStatus, SeatStatus } from '../generated/prisma/enums.js';
import type { Tx } from '../prisma/transaction-runner.js';

export interface LockedSeat {
  id: string;
  concertId: string;
  status: SeatStatus;
  price: number;
  heldUntil: Date | null;
}

export interface SeatView {
  id: string;
  number: string;
  section: string;
  /** An expired hold reads as AVAILABLE. */
  status: SeatStatus;
  price: number;
}

export interface NewHolds {
  userId: string;
  concertId: string;
  seats: { id: string; price: number }[];
  expiresAt: Date;
}

export interface HeldReservation {
  id: string;
  seatId: string;
  status: ReservationStatus;
  expiresAt: Date;
}

export interface ReservationOwner {
  id: string;
  userId: string;
  seatId: string;
}

export interface LockedReservation {
  id: string;
  userId: string;
  concertId: string;
  seatId: string;
  price: number;
  status: ReservationStatus;
  expiresAt: Date;
}

export interface ReservationView {
  id: string;
  concertId: string;
  concertName: string;
  seatId: string;
  seatNumber: string;
  price: number;
  /** A PENDING reservation past its expiry reads as EXPIRED. */
  status: ReservationStatus;
  reservedAt: Date;
  expiresAt: Date;
}

/** Namespace of the per-user hold lock (two-key advisory locks), so it cannot meet another feature's key. */
const HOLD_LOCK_NAMESPACE = 7_001;

/** `e.status`: the status of reservation `r` as the user sees it (see effectiveStatus). */
const EFFECTIVE_STATUS = Prisma.sql`
  CROSS JOIN LATERAL (
    SELECT CASE WHEN r.status = 'PENDING' AND r.expires_at <= clock_timestamp() THEN 'EXPIRED' ELSE r.status::text END AS status
  ) e`;

const RESERVATION_VIEW = Prisma.sql`
  SELECT r.id::text, r.concert_id::text AS "concertId", c.name AS "concertName", r.seat_id::text AS "seatId",
         s.number AS "seatNumber", r.price, e.status, r.created_at AS "reservedAt", r.expires_at AS "expiresAt"
  FROM reservations r
  JOIN concerts c ON c.id = r.concert_id
  JOIN seats s ON s.id = r.seat_id
  ${EFFECTIVE_STATUS}`;

/**
 * All SQL of seats and reservations. Lock order on every path: seats (by id), then
 * reservations; the caller then goes on to wallets and queues. A reservation changes
 * state only while its seat's row lock is held. Expiry is judged by the database clock.
 */
@Injectable()
export class ReservationsRepository {
  /** The database clock. Read it after taking locks: the transaction may have waited for them. */
  async readClock(tx: Tx): Promise<Date> {
    const rows = await tx.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
    return rows[0]!.now;
  }

  /**
   * Serialises one user's holds in one concert until the transaction ends, so that two
   * parallel requests cannot both pass the hold limit. Only that user's own requests ever
   * wait on it, and it is taken before any row lock, so it adds no edge between paths.
   */
  async lockUserHolds(tx: Tx, userId: string, concertId: string): Promise<void> {
    await tx.$executeRaw`
      SELECT pg_advisory_xact_lock(${HOLD_LOCK_NAMESPACE}::int, hashtext(${userId} || ':' || ${concertId}))`;
  }

  /** Locks the seats that exist among `seatIds`, in id order, so overlapping requests cannot deadlock. */
  lockSeats(tx: Tx, seatIds: string[]): Promise<LockedSeat[]> {
    return tx.$queryRaw<LockedSeat[]>`
      SELECT id::text, concert_id::text AS "concertId", status::text AS status, price, held_until AS "heldUntil"
      FROM seats
      WHERE id = ANY(${seatIds}::uuid[])
      ORDER BY id
      FOR UPDATE`;
  }

  /**
   * Like lockSeats, but gives up at once when another transaction holds one of the seats
   * (returns null). For holds only: a seat locked by someone else is being held or paid,
   * so waiting in line for it would mostly end in a 409 anyway, only later, and would let
   * lock queues build up on popular seats.
   */
  async lockSeatsNoWait(tx: Tx, seatIds: string[]): Promise<LockedSeat[] | null> {
    try {
      return await tx.$queryRaw<LockedSeat[]>`
        SELECT id::text, concert_id::text AS "concertId", status::text AS status, price, held_until AS "heldUntil"
        FROM seats
        WHERE id = ANY(${seatIds}::uuid[])
        ORDER BY id
        FOR UPDATE NOWAIT`;
    } catch (error) {
      if (classifyDatabaseError(error)?.code === 'CONCURRENT_UPDATE') return null;
      throw error;
    }
  }

  /** The database clock, and the user's live holds in the concert by it (PENDING, not expired). */
  async countLiveHolds(tx: Tx, userId: string, concertId: string): Promise<{ now: Date; held: number }> {
    const rows = await tx.$queryRaw<{ now: Date; held: number }[]>`
      SELECT clock.now, (SELECT count(*)::int FROM reservations
                         WHERE user_id = ${userId}::uuid AND concert_id = ${concertId}::uuid
                           AND status = 'PENDING' AND expires_at > clock.now) AS held
      FROM (SELECT clock_timestamp() AS now) clock`;
    return rows[0]!;
  }

  /** Marks the lapsed PENDING reservations of these (locked) seats EXPIRED, before they are held again. */
  expireLapsedReservationsOfSeats(tx: Tx, seatIds: string[], now: Date): Promise<number> {
    return tx.$executeRaw`
      UPDATE reservations SET status = 'EXPIRED', updated_at = clock_timestamp()
      WHERE seat_id = ANY(${seatIds}::uuid[]) AND status = 'PENDING' AND expires_at <= ${now}::timestamptz`;
  }

  /**
   * One PENDING reservation per seat at the seat's price, and the seats HELD until it
   * expires, in one statement. The caller holds the seat locks.
   */
  insertHolds(tx: Tx, holds: NewHolds): Promise<HeldReservation[]> {
    const ids = holds.seats.map((seat) => seat.id);
    const prices = holds.seats.map((seat) => seat.price);
    return tx.$queryRaw<HeldReservation[]>`
      WITH held AS (
        UPDATE seats SET status = 'HELD', held_until = ${holds.expiresAt}::timestamptz WHERE id = ANY(${ids}::uuid[])
      )
      INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
      SELECT ${holds.userId}::uuid, ${holds.concertId}::uuid, seat.id, seat.price, ${holds.expiresAt}::timestamptz
      FROM unnest(${ids}::uuid[], ${prices}::int[]) AS seat(id, price)
      RETURNING id::text, seat_id::text AS "seatId", status::text AS status, expires_at AS "expiresAt"`;
  }

  /** Frees seats that are HELD (a cancelled hold). */
  releaseHeldSeats(tx: Tx, seatIds: string[]): Promise<number> {
    return tx.$executeRaw`
      UPDATE seats SET status = 'AVAILABLE', held_until = NULL WHERE id = ANY(${seatIds}::uuid[]) AND status = 'HELD'`;
  }

  markSeatsSold(tx: Tx, seatIds: string[]): Promise<number> {
    return tx.$executeRaw`
      UPDATE seats SET status = 'SOLD', held_until = NULL WHERE id = ANY(${seatIds}::uuid[]) AND status = 'HELD'`;
  }

  /** Who owns which reservation and its seat, read without locks: enough to know which seats to lock. */
  findOwners(tx: Tx, reservationIds: string[]): Promise<ReservationOwner[]> {
    return tx.$queryRaw<ReservationOwner[]>`
      SELECT id::text, user_id::text AS "userId", seat_id::text AS "seatId"
      FROM reservations WHERE id = ANY(${reservationIds}::uuid[])`;
  }

  /** Locks the reservations in id order. Lock their seats first. */
  lockReservations(tx: Tx, reservationIds: string[]): Promise<LockedReservation[]> {
    return tx.$queryRaw<LockedReservation[]>`
      SELECT id::text, user_id::text AS "userId", concert_id::text AS "concertId", seat_id::text AS "seatId",
             price, status::text AS status, expires_at AS "expiresAt"
      FROM reservations
      WHERE id = ANY(${reservationIds}::uuid[])
      ORDER BY id
      FOR UPDATE`;
  }

  cancelPendingReservation(tx: Tx, reservationId: string): Promise<number> {
    return tx.$executeRaw`
      UPDATE reservations SET status = 'CANCELLED', updated_at = clock_timestamp()
      WHERE id = ${reservationId}::uuid AND status = 'PENDING'`;
  }

  confirmPendingReservations(tx: Tx, reservationIds: string[], paymentId: string): Promise<number> {
    return tx.$executeRaw`
      UPDATE reservations SET status = 'CONFIRMED', payment_id = ${paymentId}::uuid, updated_at = clock_timestamp()
      WHERE id = ANY(${reservationIds}::uuid[]) AND status = 'PENDING'`;
  }

  /**
   * Ends up to `batchSize` lapsed holds in one statement: the seats become AVAILABLE and
   * their PENDING reservations EXPIRED. SKIP LOCKED leaves seats that a hold, payment or
   * another replica is working on; FOR UPDATE re-checks the expiry on the newest row version.
   */
  releaseLapsedHolds(tx: Tx, batchSize: number): Promise<number> {
    return tx.$executeRaw`
      WITH lapsed AS (
        SELECT id FROM seats
        WHERE status = 'HELD' AND held_until <= clock_timestamp()
        ORDER BY held_until
        LIMIT ${batchSize}::int
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE reservations r SET status = 'EXPIRED', updated_at = clock_timestamp()
        FROM lapsed WHERE r.seat_id = lapsed.id AND r.status = 'PENDING'
        RETURNING r.id
      )
      UPDATE seats s SET status = 'AVAILABLE', held_until = NULL
      FROM lapsed WHERE s.id = lapsed.id`;
  }

  /** A page of the concert's seats in seat-map order. */
  findSeatPage(tx: Tx, concertId: string, offset: number, limit: number): Promise<SeatView[]> {
    return tx.$queryRaw<SeatView[]>`
      SELECT id::text, number, section, price,
             CASE WHEN status = 'HELD' AND held_until <= clock_timestamp() THEN 'AVAILABLE' ELSE status::text END AS status
      FROM seats
      WHERE concert_id = ${concertId}::uuid
      ORDER BY position, id
      OFFSET ${offset}::int LIMIT ${limit}::int`;
  }

  async countSeats(tx: Tx, concertId: string): Promise<number> {
    const rows = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM seats WHERE concert_id = ${concertId}::uuid`;
    return rows[0]?.count ?? 0;
  }

  /** The user's reservations newest first, filtered by status as the user sees it. */
  findReservationPage(
    tx: Tx,
    userId: string,
    status: ReservationStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<ReservationView[]> {
    return tx.$queryRaw<ReservationView[]>`
      ${RESERVATION_VIEW}
      WHERE r.user_id = ${userId}::uuid AND (${status ?? null}::text IS NULL OR e.status = ${status ?? null}::text)
      ORDER BY r.created_at DESC, r.id DESC
      OFFSET ${offset}::int LIMIT ${limit}::int`;
  }

  async countReservations(tx: Tx, userId: string, status: ReservationStatus | undefined): Promise<number> {
    const rows = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count
      FROM reservations r
      ${EFFECTIVE_STATUS}
      WHERE r.user_id = ${userId}::uuid AND (${status ?? null}::text IS NULL OR e.status = ${status ?? null}::text)`;
    return rows[0]?.count ?? 0;
  }

  findReservationsOfPayment(tx: Tx, paymentId: string): Promise<ReservationView[]> {
    return tx.$queryRaw<ReservationView[]>`
      ${RESERVATION_VIEW}
      WHERE r.payment_id = ${paymentId}::uuid
      ORDER BY c.starts_at, r.concert_id, s.position, r.id`;
  }
}
