import type { Env } from '../../src/config/env.validation.js';
import type { TestApp } from '../helpers/test-app.js';

/** What createConcert needs: a database, and the queue defaults a concert starts with. */
export type ConcertFactoryContext = Pick<TestApp, 'db'> & {
  env: Pick<Env, 'QUEUE_ACTIVE_CAPACITY' | 'QUEUE_WINDOW_SECONDS'>;
};

export interface ConcertFixture {
  id: string;
  seatIds: string[];
}

/**
 * A concert with its queue row and `seats` seats (A1, A2, …), inserted directly so that
 * tests of one feature do not depend on another feature's routes.
 */
export async function createConcert(
  t: ConcertFactoryContext,
  options: {
    name?: string;
    seats?: number;
    price?: number;
    capacity?: number;
    windowSeconds?: number;
    /** Default: the column's default (30). */
    claimSeconds?: number;
    salesState?: 'ON_SALE' | 'PAUSED' | 'CLOSED';
    startsInDays?: number;
  } = {},
): Promise<ConcertFixture> {
  const { rows } = await t.db.query<{ id: string }>(
    `INSERT INTO concerts (name, venue, starts_at, sales_state, queue_capacity, queue_window_seconds, queue_claim_seconds)
     VALUES ($1, 'Test Hall', now() + make_interval(days => $2), $3, $4, $5, coalesce($6, 30)) RETURNING id`,
    [
      options.name ?? `Concert ${Math.random().toString(36).slice(2, 8)}`,
      options.startsInDays ?? 30,
      options.salesState ?? 'ON_SALE',
      options.capacity ?? t.env.QUEUE_ACTIVE_CAPACITY,
      options.windowSeconds ?? t.env.QUEUE_WINDOW_SECONDS,
      options.claimSeconds ?? null,
    ],
  );
  const id = rows[0]!.id;
  await t.db.query('INSERT INTO queues (concert_id) VALUES ($1)', [id]);
  const seats = await t.db.query<{ id: string }>(
    `INSERT INTO seats (concert_id, number, section, position, price)
     SELECT $1, 'A' || n, 'A', n, $3 FROM generate_series(1, $2) AS n ORDER BY n RETURNING id`,
    [id, options.seats ?? 10, options.price ?? 10_000],
  );
  return { id, seatIds: seats.rows.map((seat) => seat.id) };
}
