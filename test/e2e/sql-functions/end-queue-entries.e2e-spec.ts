import { randomUUID } from 'node:crypto';
import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/**
 * end_queue_entries called directly (prisma/functions/end_queue_entries.sql): each way of
 * ending entries, the admission that follows, the counters, and the queue-row lock paths.
 * queue_window_open, the gate it feeds, is at the end.
 */
describe('end_queue_entries', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** A concert of `capacity` places with `active` users admitted and `waiting` behind them. */
  async function queue(options: { capacity: number; active: number; waiting: number }) {
    const concert = await f.concert({ capacity: options.capacity, windowSeconds: 60 });
    const active: string[] = [];
    const waiting: string[] = [];
    for (let i = 0; i < options.active; i++) {
      active.push(await f.user());
      await f.openWindow(concert.id, active.at(-1)!);
    }
    for (let i = 0; i < options.waiting; i++) {
      waiting.push(await f.user());
      await f.enter(concert.id, waiting.at(-1)!);
    }
    return { concertId: concert.id, active, waiting };
  }

  async function counters(concertId: string) {
    const { rows } = await f.db.query<{
      active_count: number;
      activated_count: string;
      last_ticket: string;
    }>(`SELECT active_count, activated_count, last_ticket FROM queues WHERE concert_id = $1`, [concertId]);
    const row = rows[0]!;
    return {
      active: row.active_count,
      activated: Number(row.activated_count),
      lastTicket: Number(row.last_ticket),
    };
  }

  it('answers no row, and changes nothing, for a concert without a queue', async () => {
    const before = await f.state();
    expect(await f.endQueueEntries(randomUUID(), null)).toBeUndefined();
    expect(await f.state()).toEqual(before);
  });

  it('admits the longest-waiting users into free places, with the claim time by the database clock', async () => {
    const { concertId, waiting } = await queue({ capacity: 2, active: 0, waiting: 3 });
    const { rows: clock } = await f.db.query<{ now: Date }>('SELECT clock_timestamp() AS now');

    expect(await f.endQueueEntries(concertId, null)).toEqual({ ended: 0, admitted: 2 });

    const { rows } = await f.db.query<{ user_id: string; status: string; window_ms: number; since: number }>(
      `SELECT user_id, status, (extract(epoch FROM expires_at - activated_at) * 1000)::float8 AS window_ms,
              (extract(epoch FROM activated_at - $2::timestamptz) * 1000)::float8 AS since
       FROM queue_entries WHERE concert_id = $1 ORDER BY ticket`,
      [concertId, clock[0]!.now],
    );
    expect(rows.map((row) => [row.user_id, row.status])).toEqual([
      [waiting[0], 'ACTIVE'],
      [waiting[1], 'ACTIVE'],
      [waiting[2], 'WAITING'],
    ]);
    // Unclaimed: the concert's claim time (30 s), not the window, until queue_window_open claims.
    expect(rows.slice(0, 2).map((row) => Math.round(row.window_ms))).toEqual([30_000, 30_000]);
    expect(rows[0]!.since).toBeGreaterThanOrEqual(-1);
    expect(await counters(concertId)).toEqual({ active: 2, activated: 2, lastTicket: 3 });
  });

  it('ends a waiting user’s entry (LEFT): no place is freed, the trigger counts the departure', async () => {
    const { concertId, active, waiting } = await queue({ capacity: 1, active: 1, waiting: 2 });

    expect(await f.endQueueEntries(concertId, waiting[0]!, { status: 'LEFT' })).toEqual({
      ended: 1,
      admitted: 0,
    });

    expect(await f.entryStatus(concertId, waiting[0]!)).toBe('LEFT');
    expect(await f.entryStatus(concertId, active[0]!)).toBe('ACTIVE');
    expect(await f.entryStatus(concertId, waiting[1]!)).toBe('WAITING');
    // Departures live in queue_departure_buckets and _stripes (the trigger), not in the queues row.
    expect(await counters(concertId)).toEqual({ active: 1, activated: 1, lastTicket: 3 });
    const { rows } = await f.db.query<{ departed: string }>(
      'SELECT sum(departed)::text AS departed FROM queue_departure_stripes WHERE concert_id = $1',
      [concertId],
    );
    expect(rows).toEqual([{ departed: '1' }]);
  });

  it('ends an active window (COMPLETED) and gives its place to the next waiting user', async () => {
    const { concertId, active, waiting } = await queue({ capacity: 1, active: 1, waiting: 2 });

    expect(await f.endQueueEntries(concertId, active[0]!, { status: 'COMPLETED' })).toEqual({
      ended: 1,
      admitted: 1,
    });

    expect(await f.entryStatus(concertId, active[0]!)).toBe('COMPLETED');
    expect(await f.entryStatus(concertId, waiting[0]!)).toBe('ACTIVE');
    expect(await f.entryStatus(concertId, waiting[1]!)).toBe('WAITING');
    expect(await counters(concertId)).toEqual({ active: 1, activated: 2, lastTicket: 3 });
  });

  it('with only-active, leaves a waiting user’s entry alone (a payment ends windows, not places in line)', async () => {
    const { concertId, waiting } = await queue({ capacity: 1, active: 1, waiting: 1 });
    const before = await f.state();
    expect(
      await f.endQueueEntries(concertId, waiting[0]!, { status: 'COMPLETED', onlyActive: true }),
    ).toEqual({
      ended: 0,
      admitted: 0,
    });
    expect(await f.state()).toEqual(before);
  });

  it('without a user, expires the windows lapsed by the database clock, and only those', async () => {
    const { concertId, active, waiting } = await queue({ capacity: 2, active: 2, waiting: 2 });
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second' WHERE user_id = $1`,
      [active[0]],
    );

    expect(await f.endQueueEntries(concertId, null)).toEqual({ ended: 1, admitted: 1 });

    expect(await f.entryStatus(concertId, active[0]!)).toBe('EXPIRED');
    expect(await f.entryStatus(concertId, active[1]!)).toBe('ACTIVE');
    expect(await f.entryStatus(concertId, waiting[0]!)).toBe('ACTIVE');
    expect(await f.entryStatus(concertId, waiting[1]!)).toBe('WAITING');
    expect(await counters(concertId)).toEqual({ active: 2, activated: 3, lastTicket: 4 });
  });

  it('admits nobody while sales are not ON_SALE, but still ends entries', async () => {
    const { concertId, active, waiting } = await queue({ capacity: 1, active: 1, waiting: 1 });
    await f.db.query(`UPDATE concerts SET sales_state = 'PAUSED' WHERE id = $1`, [concertId]);

    expect(await f.endQueueEntries(concertId, active[0]!, { status: 'LEFT' })).toEqual({
      ended: 1,
      admitted: 0,
    });

    expect(await f.entryStatus(concertId, waiting[0]!)).toBe('WAITING');
    expect(await counters(concertId)).toEqual({ active: 0, activated: 1, lastTicket: 2 });
  });

  it('waits for the queue row and then sees a user who entered meanwhile', async () => {
    const { concertId, active } = await queue({ capacity: 1, active: 1, waiting: 0 });
    // An entry batch holding the queue row, its new entry not yet committed.
    const entering = await f.transaction();
    const session = await f.session();
    const newcomer = await f.user();
    try {
      await entering.client.query(
        `WITH q AS (UPDATE queues SET last_ticket = last_ticket + 1 WHERE concert_id = $1 RETURNING last_ticket)
         INSERT INTO queue_entries (concert_id, user_id, ticket) SELECT $1, $2, q.last_ticket FROM q`,
        [concertId, newcomer],
      );
      const call = f.endQueueEntries(concertId, active[0]!, { status: 'LEFT' }, session.client);
      await f.waitUntilBlocked(session.pid);
      await entering.end('COMMIT');

      expect(await call).toEqual({ ended: 1, admitted: 1 });
    } finally {
      session.client.release();
      await entering.end();
    }
    expect(await f.entryStatus(concertId, newcomer)).toBe('ACTIVE');
  });

  it('gives up with 55P03 under the sweeper’s lock_timeout while the queue row is busy, changing nothing', async () => {
    const { concertId, active } = await queue({ capacity: 1, active: 1, waiting: 1 });
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second' WHERE user_id = $1`,
      [active[0]],
    );
    const busy = await f.transaction();
    const sweeper = await f.transaction();
    try {
      await busy.client.query('SELECT 1 FROM queues WHERE concert_id = $1 FOR UPDATE', [concertId]);
      const before = await f.state();
      await sweeper.client.query(`SELECT set_config('lock_timeout', '50ms', true)`);
      await expect(f.endQueueEntries(concertId, null, {}, sweeper.client)).rejects.toMatchObject({
        code: '55P03',
      });
      await sweeper.end();
      expect(await f.state()).toEqual(before);
    } finally {
      await sweeper.end();
      await busy.end();
    }
  });
});

describe('end_queue_entries: ended entries by reason', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  it('tells lapsed claimed windows (EXPIRED), unclaimed places (NO_SHOW) and paid windows (COMPLETED) apart', async () => {
    const concert = await f.concert({ capacity: 3, windowSeconds: 60 });
    const [claimed, unclaimed, paid, next] = [await f.user(), await f.user(), await f.user(), await f.user()];
    for (const user of [claimed, unclaimed, paid]) {
      await f.openWindow(concert.id, user, { claimed: user !== unclaimed });
    }
    await f.enter(concert.id, next);
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second' WHERE user_id = ANY($1)`,
      [[claimed, unclaimed]],
    );
    // What a payment does to the payer's entry.
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp(), ended_at = clock_timestamp() WHERE user_id = $1`,
      [paid],
    );

    expect(await f.endQueueEntriesByReason(concert.id, null)).toEqual({
      ended: 3,
      admitted: 1,
      expired: 1,
      no_show: 1,
      completed: 1,
    });
    expect(await f.entryStatus(concert.id, claimed)).toBe('EXPIRED');
    expect(await f.entryStatus(concert.id, unclaimed)).toBe('NO_SHOW');
    expect(await f.entryStatus(concert.id, paid)).toBe('COMPLETED');
    expect(await f.entryStatus(concert.id, next)).toBe('ACTIVE');
  });

  it('counts a user leaving as ended only (LEFT is not one of the lapse reasons)', async () => {
    const concert = await f.concert({ capacity: 1 });
    const user = await f.user();
    await f.openWindow(concert.id, user);
    expect(await f.endQueueEntriesByReason(concert.id, user, { status: 'LEFT' })).toEqual({
      ended: 1,
      admitted: 0,
      expired: 0,
      no_show: 0,
      completed: 0,
    });
  });
});

describe('queue_window_open', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  it('is open for the user’s ACTIVE entry only, and not for another user or concert', async () => {
    const concert = await f.concert({ capacity: 1 });
    const other = await f.concert({ capacity: 1 });
    const [admitted, waiting, stranger] = [await f.user(), await f.user(), await f.user()];
    await f.openWindow(concert.id, admitted);
    await f.enter(concert.id, waiting);

    expect(await f.queueWindowOpen(concert.id, admitted)).toBe(true);
    expect(await f.queueWindowOpen(concert.id, waiting)).toBe(false);
    expect(await f.queueWindowOpen(concert.id, stranger)).toBe(false);
    expect(await f.queueWindowOpen(other.id, admitted)).toBe(false);

    await f.endQueueEntries(concert.id, admitted, { status: 'COMPLETED' });
    expect(await f.queueWindowOpen(concert.id, admitted)).toBe(false);
  });

  it('claims an admitted place once: the full window starts at the first call', async () => {
    const concert = await f.concert({ capacity: 1, windowSeconds: 60 });
    const userId = await f.user();
    await f.openWindow(concert.id, userId, { claimed: false });
    const window = () =>
      f.db
        .query<{ claimed_at: Date | null; ms: number }>(
          `SELECT claimed_at, (extract(epoch FROM expires_at - coalesce(claimed_at, activated_at)) * 1000)::float8 AS ms
           FROM queue_entries WHERE user_id = $1`,
          [userId],
        )
        .then(({ rows }) => rows[0]!);
    expect(await window()).toMatchObject({ claimed_at: null, ms: 30_000 });

    const answers = await Promise.all(Array.from({ length: 6 }, () => f.queueWindowOpen(concert.id, userId)));
    expect(answers).toEqual(Array(6).fill(true));
    const claimed = await window();
    expect(claimed.claimed_at).toBeInstanceOf(Date);
    expect(Math.round(claimed.ms)).toBe(60_000);

    // A later call finds it claimed and moves nothing.
    expect(await f.queueWindowOpen(concert.id, userId)).toBe(true);
    expect(await window()).toEqual(claimed);
  });

  it('commits a claim without waiting for its WAL flush, and a mere read as it was', async () => {
    const concert = await f.concert({ capacity: 1 });
    const userId = await f.user();
    await f.openWindow(concert.id, userId, { claimed: false });
    const synchronousCommitAfterGate = async () => {
      const tx = await f.transaction();
      try {
        expect(await f.queueWindowOpen(concert.id, userId, tx.client)).toBe(true);
        const { rows } = await tx.client.query(`SELECT current_setting('synchronous_commit') AS value`);
        await tx.end('COMMIT');
        return rows[0].value as string;
      } finally {
        await tx.end();
      }
    };
    expect(await synchronousCommitAfterGate()).toBe('off'); // the claim
    expect(await synchronousCommitAfterGate()).toBe('on'); // claimed: only read
  });

  it('does not claim a place whose claim time has lapsed', async () => {
    const concert = await f.concert({ capacity: 1 });
    const userId = await f.user();
    await f.openWindow(concert.id, userId, { claimed: false });
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 millisecond' WHERE user_id = $1`,
      [userId],
    );
    expect(await f.queueWindowOpen(concert.id, userId)).toBe(false);
    const { rows } = await f.db.query(`SELECT claimed_at FROM queue_entries WHERE user_id = $1`, [userId]);
    expect(rows).toEqual([{ claimed_at: null }]);
  });

  it('is closed once the window lapses by the clock, before the sweeper marks it', async () => {
    const concert = await f.concert();
    const userId = await f.user();
    await f.openWindow(concert.id, userId);
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 millisecond' WHERE user_id = $1`,
      [userId],
    );
    expect(await f.queueWindowOpen(concert.id, userId)).toBe(false);
  });

  it('reads clock_timestamp(), not the time its transaction began', async () => {
    const concert = await f.concert();
    const userId = await f.user();
    await f.openWindow(concert.id, userId);
    const tx = await f.transaction();
    try {
      // The window ends after this transaction began but before the question is asked.
      await tx.client.query(`SELECT now()`);
      await tx.client.query(`SELECT pg_sleep(0.05)`);
      await tx.client.query(
        `UPDATE queue_entries SET expires_at = now() + interval '10 milliseconds' WHERE user_id = $1`,
        [userId],
      );
      expect(await f.queueWindowOpen(concert.id, userId, tx.client)).toBe(false);
    } finally {
      await tx.end();
    }
  });
});
