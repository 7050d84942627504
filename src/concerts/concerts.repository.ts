import { Injectable } from '@nestjs/common';
import type { SalesState } from '../generated/prisma/enums.js';
import type { Tx } from '../prisma/transaction-runner.js';
import type { SeatPlan } from './seat-plan.js';

export interface ConcertRow {
  id: string;
  name: string;
  venue: string;
  startsAt: Date;
  salesState: SalesState;
  queueCapacity: number;
  queueWindowSeconds: number;
}

export interface ConcertWithSeatCount extends ConcertRow {
  seatCount: number;
}

export interface ConcertStatsRow extends ConcertWithSeatCount {
  availableSeats: number;
  heldSeats: number;
  soldSeats: number;
  /** Points paid for the sold seats. */
  revenue: number;
  queueLength: number;
  activeUsers: number;
  /** Windows opened in the last 60 seconds. */
  admittedLastMinute: number;
}

export interface NewConcert {
  name: string;
  venue: string;
  startsAt: Date;
  queueCapacity: number;
  queueWindowSeconds: number;
}

export interface ConcertSettingsChange {
  salesState?: SalesState;
  queueCapacity?: number;
  queueWindowSeconds?: number;
}

@Injectable()
export class ConcertsRepository {
  /** Inserts nothing (and returns null) unless startsAt is after the database's now(). */
  async insertUpcomingConcert(tx: Tx, concert: NewConcert): Promise<ConcertRow | null> {
    const rows = await tx.$queryRaw<ConcertRow[]>`
      INSERT INTO concerts (name, venue, starts_at, queue_capacity, queue_window_seconds)
      SELECT ${concert.name}, ${concert.venue}, ${concert.startsAt}::timestamptz, ${concert.queueCapacity}, ${concert.queueWindowSeconds}
      WHERE ${concert.startsAt}::timestamptz > now()
      RETURNING id, name, venue, starts_at AS "startsAt", sales_state::text AS "salesState",
                queue_capacity AS "queueCapacity", queue_window_seconds AS "queueWindowSeconds"`;
    return rows[0] ?? null;
  }

  async createQueue(tx: Tx, concertId: string): Promise<void> {
    await tx.queue.create({ data: { concertId } });
  }

  /** One statement whatever the size: the columns travel as three array parameters. */
  async insertSeats(tx: Tx, concertId: string, plan: SeatPlan): Promise<number> {
    return tx.$executeRaw`
      INSERT INTO seats (concert_id, number, section, position, price)
      SELECT ${concertId}::uuid, seat.number, seat.section, seat.position::int, seat.price
      FROM unnest(${plan.numbers}::text[], ${plan.sections}::text[], ${plan.prices}::int[])
           WITH ORDINALITY AS seat(number, section, price, position)`;
  }

  /** One statement, so every count comes from the same snapshot. An expired hold counts as available. */
  async findConcertStats(tx: Tx, concertId: string): Promise<ConcertStatsRow | null> {
    const rows = await tx.$queryRaw<ConcertStatsRow[]>`
      SELECT c.id, c.name, c.venue, c.starts_at AS "startsAt", c.sales_state::text AS "salesState",
             c.queue_capacity AS "queueCapacity", c.queue_window_seconds AS "queueWindowSeconds",
             seat.total AS "seatCount", seat.available AS "availableSeats", seat.held AS "heldSeats", seat.sold AS "soldSeats",
             seat.revenue, entry.waiting AS "queueLength", entry.active AS "activeUsers",
             admitted.still_active + admitted.ended AS "admittedLastMinute"
      FROM concerts c
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS total,
               count(*) FILTER (WHERE s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= now()))::int AS available,
               count(*) FILTER (WHERE s.status = 'HELD' AND s.held_until > now())::int AS held,
               count(*) FILTER (WHERE s.status = 'SOLD')::int AS sold,
               coalesce(sum(s.price) FILTER (WHERE s.status = 'SOLD'), 0)::float8 AS revenue
        FROM seats s WHERE s.concert_id = c.id
      ) seat
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE e.status = 'WAITING')::int AS waiting,
               count(*) FILTER (WHERE e.status = 'ACTIVE' AND e.expires_at > now())::int AS active
        FROM queue_entries e WHERE e.concert_id = c.id AND e.status IN ('WAITING', 'ACTIVE')
      ) entry
      -- A window opened in the last minute is either still open or ended since: two index ranges, never the whole line.
      CROSS JOIN LATERAL (
        SELECT (SELECT count(*)::int FROM queue_entries e
                WHERE e.concert_id = c.id AND e.status = 'ACTIVE' AND e.activated_at > now() - interval '1 minute') AS still_active,
               (SELECT count(*)::int FROM queue_entries e
                WHERE e.concert_id = c.id AND e.activated_at IS NOT NULL AND e.status <> 'ACTIVE'
                  AND e.ended_at > now() - interval '1 minute' AND e.activated_at > now() - interval '1 minute') AS ended
      ) admitted
      WHERE c.id = ${concertId}::uuid`;
    return rows[0] ?? null;
  }

  /** Absent fields keep their value. Returns null when the concert does not exist. */
  async changeConcertSettings(
    tx: Tx,
    concertId: string,
    change: ConcertSettingsChange,
  ): Promise<ConcertWithSeatCount | null> {
    const rows = await tx.$queryRaw<ConcertWithSeatCount[]>`
      UPDATE concerts SET
        sales_state = COALESCE(${change.salesState ?? null}::"SalesState", sales_state),
        queue_capacity = COALESCE(${change.queueCapacity ?? null}::int, queue_capacity),
        queue_window_seconds = COALESCE(${change.queueWindowSeconds ?? null}::int, queue_window_seconds),
        updated_at = now()
      WHERE id = ${concertId}::uuid
      RETURNING id, name, venue, starts_at AS "startsAt", sales_state::text AS "salesState",
                queue_capacity AS "queueCapacity", queue_window_seconds AS "queueWindowSeconds",
                (SELECT count(*)::int FROM seats WHERE seats.concert_id = concerts.id) AS "seatCount"`;
    return rows[0] ?? null;
  }

  /** Concerts on sale or paused that have not started yet, soonest first: a fan sees a pause, not a vanishing concert. */
  listUpcomingOnSaleOrPaused(tx: Tx): Promise<ConcertRow[]> {
    return tx.$queryRaw<ConcertRow[]>`
      SELECT id, name, venue, starts_at AS "startsAt", sales_state::text AS "salesState",
             queue_capacity AS "queueCapacity", queue_window_seconds AS "queueWindowSeconds"
      FROM concerts
      WHERE sales_state IN ('ON_SALE', 'PAUSED') AND starts_at > now()
      ORDER BY starts_at, id`;
  }

  /** Every concert, in any state, latest start first: the operator's console. */
  listAllWithSeatCount(tx: Tx): Promise<ConcertWithSeatCount[]> {
    return tx.$queryRaw<ConcertWithSeatCount[]>`
      SELECT c.id, c.name, c.venue, c.starts_at AS "startsAt", c.sales_state::text AS "salesState",
             c.queue_capacity AS "queueCapacity", c.queue_window_seconds AS "queueWindowSeconds",
             (SELECT count(*)::int FROM seats s WHERE s.concert_id = c.id) AS "seatCount"
      FROM concerts c
      ORDER BY c.starts_at DESC, c.id`;
  }

  /** Upcoming concerts on sale with at least one bookable seat; a lapsed hold is bookable before the sweeper frees it. */
  listUpcomingWithAvailableSeats(tx: Tx): Promise<ConcertRow[]> {
    return tx.$queryRaw<ConcertRow[]>`
      SELECT c.id, c.name, c.venue, c.starts_at AS "startsAt", c.sales_state::text AS "salesState",
             c.queue_capacity AS "queueCapacity", c.queue_window_seconds AS "queueWindowSeconds"
      FROM concerts c
      WHERE c.sales_state = 'ON_SALE' AND c.starts_at > now()
        AND EXISTS (
          SELECT 1 FROM seats s
          WHERE s.concert_id = c.id AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= now()))
        )
      ORDER BY c.starts_at, c.id`;
  }
}
