import pg from 'pg';
import type { PayReservationsOutcome } from '../../src/payments/payments.repository.js';
import type { HoldSeatsOutcome } from '../../src/reservations/reservations.repository.js';
import { createConcert, type ConcertFixture } from '../factories/concert.factory.js';
import { createTestDatabase } from './database.js';
import { waitFor } from './wait.js';

/**
 * The repository tier: the database functions called directly, as the repositories call them,
 * on a migrated database of the file's own. Rows are arranged with plain SQL and, where a
 * function is the real path (entering a window, holding a seat), with the function itself.
 */
export class FunctionTestDatabase {
  /** Every outcome each function answered in this file, to check that each declared one was seen. */
  readonly answered = { hold_seats: new Set<string>(), pay_reservations: new Set<string>() };

  private constructor(readonly db: pg.Pool) {}

  static async create(): Promise<FunctionTestDatabase> {
    return new FunctionTestDatabase(new pg.Pool({ connectionString: await createTestDatabase(), max: 6 }));
  }

  close(): Promise<void> {
    return this.db.end();
  }

  async user(): Promise<string> {
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO users (email, password_hash) VALUES ('u-' || gen_random_uuid() || '@example.com', 'x') RETURNING id`,
    );
    return rows[0]!.id;
  }

  concert(
    options: { seats?: number; price?: number; capacity?: number; windowSeconds?: number } = {},
  ): Promise<ConcertFixture> {
    return createConcert(
      { db: this.db, env: { QUEUE_ACTIVE_CAPACITY: 5, QUEUE_WINDOW_SECONDS: 300 } },
      { seats: 6, price: 1_000, ...options },
    );
  }

  /** A WAITING entry with the concert's next ticket, as entering the queue leaves it. */
  async enter(concertId: string, userId: string): Promise<void> {
    await this.db.query(
      `WITH q AS (UPDATE queues SET last_ticket = last_ticket + 1 WHERE concert_id = $1 RETURNING last_ticket)
       INSERT INTO queue_entries (concert_id, user_id, ticket) SELECT $1, $2, q.last_ticket FROM q`,
      [concertId, userId],
    );
  }

  /**
   * The user enters and is admitted by the real admission (the sweeper's call), then claims
   * the place as their first seat request would (unless `claimed: false`).
   */
  async openWindow(concertId: string, userId: string, options: { claimed?: boolean } = {}): Promise<void> {
    await this.enter(concertId, userId);
    await this.endQueueEntries(concertId, null);
    if (options.claimed ?? true) await this.queueWindowOpen(concertId, userId);
    const { rows } = await this.db.query(
      `SELECT 1 FROM queue_entries WHERE concert_id = $1 AND user_id = $2 AND status = 'ACTIVE'`,
      [concertId, userId],
    );
    if (!rows.length) throw new Error('arranging: the queue is full, no window opened');
  }

  async entryStatus(concertId: string, userId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ status: string }>(
      `SELECT status FROM queue_entries WHERE concert_id = $1 AND user_id = $2 ORDER BY ticket DESC LIMIT 1`,
      [concertId, userId],
    );
    return rows[0]?.status;
  }

  /** A wallet with `balance` points and the CHARGE entry that put them there. */
  async fund(userId: string, balance: number): Promise<void> {
    await this.db.query(
      `WITH w AS (INSERT INTO point_wallets (user_id, balance) VALUES ($1, $2) RETURNING user_id, balance)
       INSERT INTO point_ledger (user_id, type, amount, balance_after) SELECT user_id, 'CHARGE', balance, balance FROM w`,
      [userId, balance],
    );
  }

  /** Holds already held by the real function; returns their reservation ids in the order asked. */
  async held(userId: string, concertId: string, seatIds: string[]): Promise<string[]> {
    const rows = await this.holdSeats({ userId, concertId, seatIds });
    if (rows[0]?.outcome !== 'HELD') throw new Error(`arranging: hold answered ${rows[0]?.outcome}`);
    return rows.map((row) => row.hold_id!);
  }

  /** Moves a hold's expiry (and its seat's) into the past, as if its time had run out. */
  async lapse(reservationId: string): Promise<void> {
    await this.db.query(
      `WITH r AS (UPDATE reservations SET expires_at = clock_timestamp() - interval '1 second'
                  WHERE id = $1 RETURNING seat_id, expires_at)
       UPDATE seats s SET held_until = r.expires_at FROM r WHERE s.id = r.seat_id`,
      [reservationId],
    );
  }

  async holdSeats(
    request: {
      userId: string;
      concertId: string;
      seatIds: string[];
      maxSeats?: number;
      holdSeconds?: number;
    },
    client: pg.Pool | pg.ClientBase = this.db,
  ): Promise<HoldSeatsRow[]> {
    const { rows } = await client.query<HoldSeatsRow>(
      `SELECT outcome, held, seat_ids::text[] AS seat_ids, hold_id::text AS hold_id,
              hold_seat_id::text AS hold_seat_id, hold_expires_at
       FROM hold_seats($1::uuid, $2::uuid, $3::uuid[], $4::int, $5::int)`,
      [request.userId, request.concertId, request.seatIds, request.maxSeats ?? 4, request.holdSeconds ?? 300],
    );
    for (const row of rows) this.answered.hold_seats.add(row.outcome);
    return rows;
  }

  async payReservations(
    userId: string,
    reservationIds: string[],
    client: pg.Pool | pg.ClientBase = this.db,
  ): Promise<PayReservationsRow> {
    const { rows } = await client.query<PayReservationsRow>(
      `SELECT outcome, reservation_ids::text[] AS reservation_ids, balance, required,
              payment_id::text AS payment_id, total_amount, created_at, concert_ids::text[] AS concert_ids
       FROM pay_reservations($1::uuid, $2::uuid[])`,
      [userId, reservationIds],
    );
    if (rows.length !== 1) throw new Error(`pay_reservations answered ${rows.length} rows`);
    this.answered.pay_reservations.add(rows[0]!.outcome);
    return rows[0]!;
  }

  /** `userId` null: the sweeper's call (end lapsed windows). No row when the concert has no queue. */
  async endQueueEntries(
    concertId: string,
    userId: string | null,
    options: { status?: 'LEFT' | 'COMPLETED'; onlyActive?: boolean } = {},
    client: pg.Pool | pg.ClientBase = this.db,
  ): Promise<{ ended: number; admitted: number } | undefined> {
    const { rows } = await client.query<{ ended: number; admitted: number }>(
      `SELECT ended, admitted FROM end_queue_entries($1::uuid, $2::uuid, $3::"QueueEntryStatus", $4)`,
      [concertId, userId, userId ? (options.status ?? 'LEFT') : 'EXPIRED', options.onlyActive ?? false],
    );
    return rows[0];
  }

  /** end_queue_entries with every column it answers: the ended entries by reason too. */
  async endQueueEntriesByReason(
    concertId: string,
    userId: string | null,
    options: { status?: 'LEFT' | 'COMPLETED' } = {},
  ): Promise<Record<'ended' | 'admitted' | 'expired' | 'no_show' | 'completed', number> | undefined> {
    const { rows } = await this.db.query<
      Record<'ended' | 'admitted' | 'expired' | 'no_show' | 'completed', number>
    >(`SELECT * FROM end_queue_entries($1::uuid, $2::uuid, $3::"QueueEntryStatus", false)`, [
      concertId,
      userId,
      userId ? (options.status ?? 'LEFT') : 'EXPIRED',
    ]);
    return rows[0];
  }

  async queueWindowOpen(
    concertId: string,
    userId: string,
    client: pg.Pool | pg.ClientBase = this.db,
  ): Promise<boolean> {
    const { rows } = await client.query<{ open: boolean }>(`SELECT queue_window_open($1, $2) AS open`, [
      concertId,
      userId,
    ]);
    return rows[0]!.open;
  }

  /**
   * Every row a function could change, in a stable order: a refusal must leave this as it was.
   * Whole tables, because a function that wrote anywhere else would be a bug too.
   */
  async state(): Promise<Record<string, unknown[]>> {
    const state: Record<string, unknown[]> = {};
    for (const [table, order] of [
      ['seats', 'id'],
      ['reservations', 'id'],
      ['payments', 'id'],
      ['point_wallets', 'user_id'],
      ['point_ledger', 'id'],
      ['queues', 'concert_id'],
      ['queue_entries', 'id'],
    ] as const) {
      state[table] = (await this.db.query(`SELECT * FROM ${table} ORDER BY ${order}`)).rows;
    }
    return state;
  }

  /**
   * A connection in an open transaction, for lock-path tests: the test takes locks on it, checks
   * what a function does meanwhile, then commits or rolls back. Released by the first `end`.
   */
  async transaction(): Promise<OpenTransaction> {
    const client = await this.db.connect();
    await client.query('BEGIN');
    let ended = false;
    return {
      client,
      async end(outcome: 'COMMIT' | 'ROLLBACK' = 'ROLLBACK') {
        if (ended) return;
        ended = true;
        try {
          await client.query(outcome);
        } finally {
          client.release();
        }
      },
    };
  }

  /** A connection of its own and its backend pid, to see when a call on it waits for a lock. */
  async session(): Promise<{ client: pg.PoolClient; pid: number }> {
    const client = await this.db.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return { client, pid: rows[0]!.pid };
  }

  /** Resolves once backend `pid` is waiting for a lock (a heavyweight lock, not a latch). */
  waitUntilBlocked(pid: number): Promise<void> {
    return waitFor(async () => {
      const { rows } = await this.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`,
        [pid],
      );
      return rows.length > 0;
    });
  }
}

export interface OpenTransaction {
  client: pg.PoolClient;
  end(outcome?: 'COMMIT' | 'ROLLBACK'): Promise<void>;
}

export interface HoldSeatsRow {
  outcome: HoldSeatsOutcome;
  held: number | null;
  seat_ids: string[] | null;
  hold_id: string | null;
  hold_seat_id: string | null;
  hold_expires_at: Date | null;
}

export interface PayReservationsRow {
  outcome: PayReservationsOutcome;
  reservation_ids: string[] | null;
  balance: number | null;
  required: number | null;
  payment_id: string | null;
  total_amount: number | null;
  created_at: Date | null;
  /** PAID: the concerts whose window the payment ended. */
  concert_ids: string[] | null;
}
