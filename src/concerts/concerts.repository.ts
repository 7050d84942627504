import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import type { SalesState } from '../generated/prisma/enums.js';
import type { Db, Tx } from '../prisma/transaction-runner.js';
import type { SeatPlan } from './seat-plan.js';

export interface ConcertRow {
  id: string;
  name: string;
  venue: string;
  startsAt: Date;
  /** As of now by the database clock: CLOSED once salesCloseAt has passed, whatever is stored. */
  salesState: SalesState;
  /** When sales close by themselves: the operator's salesCloseAt, else startsAt. */
  salesCloseAt: Date;
  /** When sales open (UPCOMING before, and until the pre-queue's draw); null: they opened at once. */
  salesOpenAt: Date | null;
  /** How long before salesOpenAt the pre-queue takes entries. */
  preQueueOpensSeconds: number;
  queueCapacity: number;
  queueWindowSeconds: number;
  queueClaimSeconds: number;
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
  /** Entries waiting for the draw. */
  preQueueLength: number;
  drawnAt: Date | null;
}

export interface NewConcert {
  name: string;
  venue: string;
  startsAt: Date;
  salesCloseAt: Date | null;
  salesOpenAt: Date | null;
  preQueueOpensSeconds: number;
  /** The draw's secret seed, hex: chosen with salesOpenAt (see draw_pre_queue). */
  drawSeed: string | null;
  queueCapacity: number;
  queueWindowSeconds: number;
  queueClaimSeconds: number;
}

export interface ConcertSettingsChange {
  salesState?: SalesState;
  salesCloseAt?: Date;
  salesOpenAt?: Date;
  /** Kept when the concert has a seed already. */
  drawSeed?: string;
  preQueueOpensSeconds?: number;
  queueCapacity?: number;
  queueWindowSeconds?: number;
  queueClaimSeconds?: number;
}

export interface SalesLock {
  /** As of now, read under the lock. */
  salesState: SalesState;
  startsAt: Date;
  salesCloseAt: Date | null;
  salesOpenAt: Date | null;
  /** Not drawn yet, and either UPCOMING already or nobody has ever entered its queue. */
  openingMovable: boolean;
  now: Date;
}

/** Why a concert was not inserted: the database clock had passed one of its times. */
export type NotInserted = 'STARTS_IN_PAST' | 'SALES_CLOSE_IN_PAST' | 'SALES_OPEN_IN_PAST';

/** The columns of ConcertRow for concerts `c`. */
const CONCERT_COLUMNS = Prisma.sql`
  c.id, c.name, c.venue, c.starts_at AS "startsAt", sales_state_now(c)::text AS "salesState",
  coalesce(c.sales_close_at, c.starts_at) AS "salesCloseAt",
  c.sales_open_at AS "salesOpenAt", c.pre_queue_opens_seconds AS "preQueueOpensSeconds",
  c.queue_capacity AS "queueCapacity", c.queue_window_seconds AS "queueWindowSeconds",
  c.queue_claim_seconds AS "queueClaimSeconds"`;

@Injectable()
export class ConcertsRepository {
  /** Inserts nothing unless startsAt and salesCloseAt (when given) are after the database clock. */
  async insertUpcomingConcert(tx: Db, concert: NewConcert): Promise<ConcertRow | NotInserted> {
    const rows = await tx.$queryRaw<
      (Partial<ConcertRow> & { startsInFuture: boolean; closesInFuture: boolean })[]
    >`
      WITH checked AS (
        SELECT ${concert.startsAt}::timestamptz > clock_timestamp() AS "startsInFuture",
               coalesce(${concert.salesCloseAt}::timestamptz, ${concert.startsAt}::timestamptz) > clock_timestamp() AS "closesInFuture",
               coalesce(${concert.salesOpenAt}::timestamptz > clock_timestamp(), true) AS "opensInFuture"
      ), c AS (
        INSERT INTO concerts (name, venue, starts_at, sales_close_at, sales_open_at, pre_queue_opens_seconds, draw_seed,
                              queue_capacity, queue_window_seconds, queue_claim_seconds)
        SELECT ${concert.name}, ${concert.venue}, ${concert.startsAt}::timestamptz, ${concert.salesCloseAt}::timestamptz,
               ${concert.salesOpenAt}::timestamptz, ${concert.preQueueOpensSeconds}::int, decode(${concert.drawSeed}::text, 'hex'),
               ${concert.queueCapacity}, ${concert.queueWindowSeconds}, ${concert.queueClaimSeconds}
        FROM checked WHERE "startsInFuture" AND "closesInFuture" AND "opensInFuture"
        RETURNING *
      )
      SELECT checked."startsInFuture", checked."closesInFuture", inserted.* FROM checked
      LEFT JOIN (SELECT ${CONCERT_COLUMNS} FROM c) inserted ON true`;
    const { startsInFuture, closesInFuture, ...row } = rows[0]!;
    if (row.id) return row as ConcertRow;
    if (!startsInFuture) return 'STARTS_IN_PAST';
    return closesInFuture ? 'SALES_OPEN_IN_PAST' : 'SALES_CLOSE_IN_PAST';
  }

  async createQueue(tx: Db, concertId: string): Promise<void> {
    await tx.queue.create({ data: { concertId } });
  }

  /** One statement whatever the size: the columns travel as three array parameters. */
  async insertSeats(tx: Db, concertId: string, plan: SeatPlan): Promise<number> {
    return tx.$executeRaw`
      INSERT INTO seats (concert_id, number, section, position, price)
      SELECT ${concertId}::uuid, seat.number, seat.section, seat.position::int, seat.price
      FROM unnest(${plan.numbers}::text[], ${plan.sections}::text[], ${plan.prices}::int[])
           WITH ORDINALITY AS seat(number, section, price, position)`;
  }

  /** One statement, so every count comes from the same snapshot. An expired hold counts as available. */
  async findConcertStats(tx: Db, concertId: string): Promise<ConcertStatsRow | null> {
    const rows = await tx.$queryRaw<ConcertStatsRow[]>`
      SELECT ${CONCERT_COLUMNS}, seat.total AS "seatCount", seat.available AS "availableSeats", seat.held AS "heldSeats", seat.sold AS "soldSeats",
             seat.revenue, entry.waiting AS "queueLength", entry.active AS "activeUsers",
             admitted.still_active + admitted.ended AS "admittedLastMinute",
             entry.pre_queued AS "preQueueLength", c.drawn_at AS "drawnAt"
      FROM concerts c
      CROSS JOIN LATERAL (
        SELECT count(*)::int AS total,
               count(*) FILTER (WHERE s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= clock_timestamp()))::int AS available,
               count(*) FILTER (WHERE s.status = 'HELD' AND s.held_until > clock_timestamp())::int AS held,
               count(*) FILTER (WHERE s.status = 'SOLD')::int AS sold,
               coalesce(sum(s.price) FILTER (WHERE s.status = 'SOLD'), 0)::float8 AS revenue
        FROM seats s WHERE s.concert_id = c.id
      ) seat
      CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE e.status = 'WAITING')::int AS waiting,
               count(*) FILTER (WHERE e.status = 'ACTIVE' AND e.expires_at > clock_timestamp())::int AS active,
               count(*) FILTER (WHERE e.status = 'PRE_QUEUE')::int AS pre_queued
        FROM queue_entries e WHERE e.concert_id = c.id AND e.status IN ('PRE_QUEUE', 'WAITING', 'ACTIVE')
      ) entry
      -- A window opened in the last minute is either still open or ended since: two index ranges, never the whole line.
      -- The minute's start read once, outside the counts: compared with clock_timestamp() itself
      -- (volatile, so no index condition) they read every admitted entry of the concert.
      CROSS JOIN LATERAL (SELECT clock_timestamp() - interval '1 minute' AS since) minute
      CROSS JOIN LATERAL (
        SELECT (SELECT count(*)::int FROM queue_entries e
                WHERE e.concert_id = c.id AND e.status = 'ACTIVE' AND e.activated_at > minute.since) AS still_active,
               (SELECT count(*)::int FROM queue_entries e
                WHERE e.concert_id = c.id AND e.activated_at IS NOT NULL AND e.status <> 'ACTIVE'
                  AND e.ended_at > minute.since AND e.activated_at > minute.since) AS ended
      ) admitted
      WHERE c.id = ${concertId}::uuid`;
    return rows[0] ?? null;
  }

  /**
   * Takes the concert's sales lock exclusively, for the rest of the transaction: every entry,
   * admission, hold and payment of the concert takes it shared before its first row lock (see
   * lock_concert_sales), so they all fall wholly before or wholly after this transaction.
   * Null when the concert does not exist.
   */
  async lockSales(tx: Tx, concertId: string): Promise<SalesLock | null> {
    const rows = await tx.$queryRaw<SalesLock[]>`
      SELECT lock_concert_sales(c.id, true)::text AS "salesState", c.starts_at AS "startsAt",
             c.sales_close_at AS "salesCloseAt", c.sales_open_at AS "salesOpenAt",
             c.sales_opened_at IS NULL AND (c.sales_open_at IS NOT NULL
               OR NOT EXISTS (SELECT 1 FROM queue_entries e WHERE e.concert_id = c.id)) AS "openingMovable",
             clock_timestamp() AS now
      FROM concerts c WHERE c.id = ${concertId}::uuid`;
    return rows[0] ?? null;
  }

  /** Absent fields keep their value. Returns null when the concert does not exist. */
  async changeConcertSettings(
    tx: Tx,
    concertId: string,
    change: ConcertSettingsChange,
  ): Promise<ConcertWithSeatCount | null> {
    const rows = await tx.$queryRaw<ConcertWithSeatCount[]>`
      WITH c AS (
        UPDATE concerts SET
          sales_state = COALESCE(${change.salesState ?? null}::"SalesState", sales_state),
          sales_close_at = COALESCE(${change.salesCloseAt ?? null}::timestamptz, sales_close_at),
          sales_open_at = COALESCE(${change.salesOpenAt ?? null}::timestamptz, sales_open_at),
          draw_seed = COALESCE(draw_seed, decode(${change.drawSeed ?? null}::text, 'hex')),
          pre_queue_opens_seconds = COALESCE(${change.preQueueOpensSeconds ?? null}::int, pre_queue_opens_seconds),
          queue_capacity = COALESCE(${change.queueCapacity ?? null}::int, queue_capacity),
          queue_window_seconds = COALESCE(${change.queueWindowSeconds ?? null}::int, queue_window_seconds),
          queue_claim_seconds = COALESCE(${change.queueClaimSeconds ?? null}::int, queue_claim_seconds),
          -- After the sales lock was taken: later than anything that ran before this change.
          updated_at = clock_timestamp()
        WHERE id = ${concertId}::uuid
        RETURNING *
      )
      SELECT ${CONCERT_COLUMNS}, (SELECT count(*)::int FROM seats WHERE seats.concert_id = c.id) AS "seatCount"
      FROM c`;
    return rows[0] ?? null;
  }

  /**
   * Closes the concert's sales for good: CLOSED stored, unpaid holds released, live queue
   * entries ended (the close_concert_sales function). With `lockWaitMs`, waits at most that
   * long for the sales lock and the rows (lock_timeout for the rest of the transaction).
   */
  async closeSales(
    tx: Tx,
    concertId: string,
    options: { lockWaitMs?: number } = {},
  ): Promise<{ released: number; ended: number }> {
    if (options.lockWaitMs !== undefined) {
      await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${options.lockWaitMs}ms`}, true)`;
    }
    const rows = await tx.$queryRaw<{ released: number; ended: number }[]>`
      SELECT released, ended FROM close_concert_sales(${concertId}::uuid)`;
    return rows[0] ?? { released: 0, ended: 0 };
  }

  /** Concerts whose sales close time has passed by the database clock but are not stored CLOSED yet. */
  async findConcertsPastSalesClose(tx: Db, limit: number): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM concerts
      WHERE sales_state <> 'CLOSED' AND coalesce(sales_close_at, starts_at) <= clock_timestamp()
      ORDER BY coalesce(sales_close_at, starts_at)
      LIMIT ${limit}::int`;
    return rows.map((row) => row.id);
  }

  /**
   * Concerts upcoming, on sale or paused whose sales have not closed yet, soonest first: a fan
   * sees a pause, not a vanishing concert, and an opening ahead.
   */
  listUpcomingOnSaleOrPaused(tx: Db): Promise<ConcertRow[]> {
    return tx.$queryRaw<ConcertRow[]>`
      SELECT ${CONCERT_COLUMNS}
      FROM concerts c
      WHERE c.sales_state IN ('ON_SALE', 'PAUSED') AND sales_state_now(c) IN ('UPCOMING', 'ON_SALE', 'PAUSED')
      ORDER BY c.starts_at, c.id`;
  }

  /** Every concert, in any state, latest start first: the operator's console. */
  listAllWithSeatCount(tx: Db): Promise<ConcertWithSeatCount[]> {
    return tx.$queryRaw<ConcertWithSeatCount[]>`
      SELECT ${CONCERT_COLUMNS}, (SELECT count(*)::int FROM seats s WHERE s.concert_id = c.id) AS "seatCount"
      FROM concerts c
      ORDER BY c.starts_at DESC, c.id`;
  }

  /** Concerts on sale with at least one bookable seat; a lapsed hold is bookable before the sweeper frees it. */
  listUpcomingWithAvailableSeats(tx: Db): Promise<ConcertRow[]> {
    return tx.$queryRaw<ConcertRow[]>`
      SELECT ${CONCERT_COLUMNS}
      FROM concerts c
      WHERE c.sales_state = 'ON_SALE' AND sales_state_now(c) = 'ON_SALE'
        AND EXISTS (
          SELECT 1 FROM seats s
          WHERE s.concert_id = c.id AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= clock_timestamp()))
        )
      ORDER BY c.starts_at, c.id`;
  }
}
