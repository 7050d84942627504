import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/**
 * The queue_entries_departure trigger (prisma/functions/record_queue_departure.sql), a statement
 * trigger: each entry that stops waiting without being admitted sets its ticket's bit in its
 * bucket and counts once in its stripe, however many a statement ends, and nothing else does.
 */
describe('record_queue_departure', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** A concert with one window open (ticket 1) and `waiting` users behind it (tickets 2..). */
  async function line(waiting: number): Promise<{ concertId: string; userIds: string[] }> {
    const concert = await f.concert({ capacity: 1, windowSeconds: 60 });
    await f.openWindow(concert.id, await f.user());
    const { rows } = await f.db.query<{ id: string }>(
      `INSERT INTO users (email, password_hash)
       SELECT 'line-' || gen_random_uuid() || '@example.com', 'x' FROM generate_series(1, $1::int)
       RETURNING id`,
      [waiting],
    );
    const userIds = rows.map((row) => row.id);
    await f.db.query(
      `WITH q AS (UPDATE queues SET last_ticket = last_ticket + $3::int WHERE concert_id = $1 RETURNING last_ticket)
       INSERT INTO queue_entries (concert_id, user_id, ticket)
       SELECT $1, u.id, q.last_ticket - $3::int + u.n FROM q, unnest($2::uuid[]) WITH ORDINALITY AS u(id, n)`,
      [concert.id, userIds, waiting],
    );
    return { concertId: concert.id, userIds };
  }

  /** The departures recorded for the concert: set bits by bucket, and the stripe totals. */
  async function departures(concertId: string) {
    const buckets = await f.db.query<{ bucket: string; mask: string }>(
      `SELECT bucket, mask FROM queue_departure_buckets WHERE concert_id = $1 ORDER BY bucket`,
      [concertId],
    );
    const stripes = await f.db.query<{ stripe: number; departed: string }>(
      `SELECT stripe, departed FROM queue_departure_stripes WHERE concert_id = $1 AND departed > 0 ORDER BY stripe`,
      [concertId],
    );
    const tickets: number[] = [];
    for (const { bucket, mask } of buckets.rows) {
      for (let bit = 0n; bit < 64n; bit++) {
        if ((BigInt(mask) >> bit) & 1n) tickets.push(Number(BigInt(bucket) * 64n + bit));
      }
    }
    return {
      tickets: tickets.sort((a, b) => a - b),
      stripes: Object.fromEntries(stripes.rows.map((row) => [row.stripe, Number(row.departed)])),
    };
  }

  /** The stripe totals that departed tickets should add up to (stripe = (ticket >> 6) & 15). */
  const stripesOf = (tickets: number[]) => {
    const totals: Record<number, number> = {};
    for (const ticket of tickets) totals[(ticket >> 6) & 15] = (totals[(ticket >> 6) & 15] ?? 0) + 1;
    return totals;
  };
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('records a single leave in its bucket and stripe', async () => {
    const { concertId, userIds } = await line(3);

    await f.db.query(
      `UPDATE queue_entries SET status = 'LEFT', ended_at = clock_timestamp() WHERE user_id = $1`,
      [userIds[1]],
    );

    expect(await departures(concertId)).toEqual({ tickets: [3], stripes: { 0: 1 } });
  });

  it('records every entry a sales close ends in one statement, each once, and not the open window', async () => {
    // Tickets 2..1201: 19 buckets, over every one of the 16 stripes.
    const { concertId, userIds } = await line(1_200);
    await f.db.query(
      `UPDATE queue_entries SET status = 'LEFT', ended_at = clock_timestamp() WHERE user_id = $1`,
      [userIds[0]],
    );

    const tx = await f.transaction();
    await tx.client.query(`SET LOCAL track_functions = 'pl'`);
    await tx.client.query(`SELECT * FROM close_concert_sales($1)`, [concertId]);
    const { rows: calls } = await tx.client.query<{ calls: string }>(
      `SELECT calls FROM pg_stat_xact_user_functions WHERE funcname = 'record_queue_departure'`,
    );
    await tx.end('COMMIT');

    // Once per statement of the close that updates queue_entries, not once per entry.
    expect(Number(calls[0]?.calls)).toBeLessThanOrEqual(3);
    const tickets = range(2, 1_201);
    expect(await departures(concertId)).toEqual({ tickets, stripes: stripesOf(tickets) });
  });

  it('records nothing for an admission, an ended window or a change to a live entry', async () => {
    const { concertId } = await line(2);
    await f.db.query(`UPDATE queue_entries SET expires_at = clock_timestamp() WHERE concert_id = $1`, [
      concertId,
    ]);
    // Ends the lapsed window (ticket 1) and admits ticket 2.
    await f.endQueueEntries(concertId, null);

    expect(await departures(concertId)).toEqual({ tickets: [], stripes: {} });
  });

  it('counts each departure once when single leaves race a sales close, without a deadlock', async () => {
    const { concertId, userIds } = await line(400);
    const leavers = userIds.filter((_, i) => i % 20 === 0);

    const results = await Promise.allSettled([
      ...leavers.map((userId) =>
        f.db.query(
          `UPDATE queue_entries SET status = 'LEFT', ended_at = clock_timestamp()
           WHERE concert_id = $1 AND user_id = $2 AND status = 'WAITING'`,
          [concertId, userId],
        ),
      ),
      f.db.query(`SELECT * FROM close_concert_sales($1)`, [concertId]),
    ]);

    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const tickets = range(2, 401);
    expect(await departures(concertId)).toEqual({ tickets, stripes: stripesOf(tickets) });
  });
});
