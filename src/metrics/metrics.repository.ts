import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import type { Db } from '../prisma/transaction-runner.js';

/** Concerts whose figures are exported: on sale or paused, never closed ones (bounded labels). */
export const MAX_CONCERTS_EXPORTED = 50;

export interface ConcertStatsRow {
  concertId: string;
  name: string;
  salesState: string;
  capacity: number;
  lastTicket: number;
  activatedCount: number;
  activeCount: number;
  leftWaitingCount: number;
  available: number;
  held: number;
  sold: number;
  soldPoints: number;
}

export interface SaleStats {
  concertsOnSale: number;
  concerts: ConcertStatsRow[];
  /** How late the oldest lapsed window / hold is (0 when none is due): the sweeper's lag. */
  windowLagSeconds: number;
  holdLagSeconds: number;
}

export type InvariantName =
  'seat_double_booked' | 'sold_seat_unconfirmed' | 'wallet_ledger_mismatch' | 'queue_over_capacity';

export const INVARIANT_NAMES: readonly InvariantName[] = [
  'seat_double_booked',
  'sold_seat_unconfirmed',
  'wallet_ledger_mismatch',
  'queue_over_capacity',
];

/** Wallets compared with their ledger per check: the most recently changed ones. */
export const WALLETS_CHECKED_PER_RUN = 10_000;

/**
 * The metrics' reads. Each is one statement of bounded cost: the queues row and the seats of
 * at most MAX_CONCERTS_EXPORTED concerts, two index-only minimums, never a count over a line.
 */
@Injectable()
export class MetricsRepository {
  async readSaleStats(tx: Db): Promise<SaleStats> {
    const [row] = await tx.$queryRaw<
      { concertsOnSale: number; concerts: ConcertStatsRow[] | null; windowLag: number; holdLag: number }[]
    >`
      WITH on_sale AS MATERIALIZED (
        SELECT c.id, c.name, c.sales_state, c.queue_capacity, c.starts_at FROM concerts c
        WHERE c.sales_state IN ('ON_SALE', 'PAUSED')
      ), exported AS (
        SELECT * FROM on_sale ORDER BY starts_at, id LIMIT ${MAX_CONCERTS_EXPORTED}
      )
      SELECT (SELECT count(*)::int FROM on_sale) AS "concertsOnSale",
             (SELECT json_agg(json_build_object(
                'concertId', e.id, 'name', e.name, 'salesState', e.sales_state, 'capacity', e.queue_capacity,
                'lastTicket', coalesce(q.last_ticket, 0), 'activatedCount', coalesce(q.activated_count, 0),
                'activeCount', coalesce(q.active_count, 0), 'leftWaitingCount', d.departed,
                'available', s.available, 'held', s.held, 'sold', s.sold, 'soldPoints', s.sold_points))
              FROM exported e
              LEFT JOIN queues q ON q.concert_id = e.id
              -- Departures before admission: at most 16 stripe rows per concert.
              CROSS JOIN LATERAL (
                SELECT coalesce(sum(p.departed), 0)::bigint AS departed
                FROM queue_departure_stripes p WHERE p.concert_id = e.id
              ) d
              CROSS JOIN LATERAL (
                SELECT count(*) FILTER (WHERE t.status = 'AVAILABLE')::int AS available,
                       count(*) FILTER (WHERE t.status = 'HELD')::int AS held,
                       count(*) FILTER (WHERE t.status = 'SOLD')::int AS sold,
                       coalesce(sum(t.price) FILTER (WHERE t.status = 'SOLD'), 0)::bigint AS sold_points
                FROM seats t WHERE t.concert_id = e.id
              ) s) AS concerts,
             -- Both read a partial index (ACTIVE entries, PENDING reservations): a comparison with the
             -- volatile clock_timestamp() is never an index condition.
             coalesce(extract(epoch FROM clock_timestamp() - (
               SELECT min(expires_at) FROM queue_entries WHERE status = 'ACTIVE' AND expires_at <= clock_timestamp())), 0)::float8 AS "windowLag",
             coalesce(extract(epoch FROM clock_timestamp() - (
               SELECT min(expires_at) FROM reservations WHERE status = 'PENDING' AND expires_at <= clock_timestamp())), 0)::float8 AS "holdLag"`;
    return {
      concertsOnSale: row?.concertsOnSale ?? 0,
      concerts: row?.concerts ?? [],
      windowLagSeconds: row?.windowLag ?? 0,
      holdLagSeconds: row?.holdLag ?? 0,
    };
  }

  /**
   * Rows breaking each invariant, in one REPEATABLE READ snapshot. Bounded: seats and queues of
   * concerts on sale or paused (their seat counts), and the wallets changed in the last
   * `walletWindowSeconds` (at most WALLETS_CHECKED_PER_RUN, each against its ledger by index;
   * finding them scans point_wallets, a narrow table).
   */
  async countInvariantViolations(
    client: pg.Client,
    walletWindowSeconds: number,
  ): Promise<Record<InvariantName, number>> {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      const { rows } = await client.query<Record<InvariantName, number>>(
        `WITH on_sale AS MATERIALIZED (
           SELECT id, queue_capacity, updated_at FROM concerts WHERE sales_state IN ('ON_SALE', 'PAUSED')
         )
         SELECT
           (SELECT count(*) FROM (
              SELECT r.seat_id FROM seats s JOIN reservations r ON r.seat_id = s.id
              WHERE s.concert_id IN (SELECT id FROM on_sale) AND r.status IN ('PENDING', 'CONFIRMED')
              GROUP BY r.seat_id HAVING count(*) > 1) d)::int AS seat_double_booked,
           (SELECT count(*) FROM seats s
            WHERE s.concert_id IN (SELECT id FROM on_sale) AND s.status = 'SOLD'
              AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.seat_id = s.id AND r.status = 'CONFIRMED')
           )::int AS sold_seat_unconfirmed,
           (SELECT count(*) FROM (
              SELECT w.user_id, w.balance FROM point_wallets w
              WHERE w.updated_at > clock_timestamp() - make_interval(secs => $1::float8)
              ORDER BY w.updated_at DESC LIMIT ${WALLETS_CHECKED_PER_RUN}) w
            WHERE w.balance <> (SELECT coalesce(sum(l.amount), 0) FROM point_ledger l WHERE l.user_id = w.user_id)
           )::int AS wallet_ledger_mismatch,
           -- A lowered capacity leaves the windows already open running: a concert counts only once
           -- someone was admitted after its settings last changed, which the new capacity allowed.
           (SELECT count(*) FROM on_sale c
            CROSS JOIN LATERAL (
              SELECT count(*) AS active, max(e.activated_at) AS last_admitted FROM queue_entries e
              WHERE e.concert_id = c.id AND e.status = 'ACTIVE') a
            WHERE a.active > c.queue_capacity AND a.last_admitted > c.updated_at
           )::int AS queue_over_capacity`,
        [walletWindowSeconds],
      );
      await client.query('COMMIT');
      return rows[0]!;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }
}
