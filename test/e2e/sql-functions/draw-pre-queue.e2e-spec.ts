import { createHash, randomUUID } from 'node:crypto';
import {
  DRAW_PRE_QUEUE_OUTCOMES,
  OPEN_SALES_FOR_DRAW_OUTCOMES,
} from '../../../src/queue/queue.repository.js';
import { checkInvariants } from '../../helpers/invariants.js';
import { FunctionTestDatabase } from '../../helpers/database-functions.js';

interface DrawRow {
  outcome: string;
  entrants: number | null;
  admitted: number | null;
}

/**
 * draw_pre_queue called directly (prisma/functions/draw_pre_queue.sql): each outcome, the
 * order it gives (recomputed here from the seed), the counters and admissions after it, the
 * lock that makes it run once, and sales_state_now around it; and its first step as the
 * sweeper runs it apart, open_sales_for_draw, with what may happen between the two.
 */
describe('draw_pre_queue', () => {
  let f: FunctionTestDatabase;
  const answered = new Set<string>();
  const opened = new Set<string>();

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(async () => {
    expect([...answered].sort()).toEqual([...DRAW_PRE_QUEUE_OUTCOMES].sort());
    expect([...opened].sort()).toEqual([...OPEN_SALES_FOR_DRAW_OUTCOMES].sort());
    await f.close();
  });

  async function draw(concertId: string, client = f.db): Promise<DrawRow> {
    const { rows } = await client.query<DrawRow>(
      'SELECT outcome, entrants, admitted FROM draw_pre_queue($1::uuid)',
      [concertId],
    );
    expect(rows).toHaveLength(1);
    answered.add(rows[0]!.outcome);
    return rows[0]!;
  }

  /** A concert opening in `opensInSeconds` (0: now) with `entrants` users in its pre-queue. */
  async function preQueued(options: { capacity: number; entrants: number; opensInSeconds?: number }) {
    const concert = await f.concert({ capacity: options.capacity });
    await f.db.query(
      `UPDATE concerts SET sales_open_at = clock_timestamp() + make_interval(secs => $2),
                           draw_seed = decode($3, 'hex')
       WHERE id = $1`,
      [concert.id, options.opensInSeconds ?? 0, randomUUID().replaceAll('-', '').repeat(2)],
    );
    const entryIds: string[] = [];
    for (let i = 0; i < options.entrants; i++) {
      const { rows } = await f.db.query<{ id: string }>(
        `INSERT INTO queue_entries (concert_id, user_id, status) VALUES ($1, $2, 'PRE_QUEUE') RETURNING id`,
        [concert.id, await f.user()],
      );
      entryIds.push(rows[0]!.id);
    }
    return { concertId: concert.id, entryIds };
  }

  async function open(concertId: string): Promise<{ outcome: string; tickets: number | null }> {
    const { rows } = await f.db.query<{ outcome: string; tickets: number | null }>(
      'SELECT outcome, tickets FROM open_sales_for_draw($1::uuid)',
      [concertId],
    );
    expect(rows).toHaveLength(1);
    opened.add(rows[0]!.outcome);
    return rows[0]!;
  }

  /** An entry after the opening, as the entry statement makes one: the next ticket, waiting. */
  async function enterLate(concertId: string): Promise<number> {
    const { rows } = await f.db.query<{ ticket: number }>(
      `WITH ticket AS (
         UPDATE queues SET last_ticket = last_ticket + 1 WHERE concert_id = $1 RETURNING last_ticket
       )
       INSERT INTO queue_entries (concert_id, user_id, ticket, status)
       SELECT $1, $2, last_ticket, 'WAITING' FROM ticket RETURNING ticket::int`,
      [concertId, await f.user()],
    );
    return rows[0]!.ticket;
  }

  const salesState = async (concertId: string) =>
    (
      await f.db.query<{ state: string }>(
        'SELECT sales_state_now(c)::text AS state FROM concerts c WHERE id = $1',
        [concertId],
      )
    ).rows[0]!.state;

  it('answers CONCERT_NOT_FOUND, and NO_DRAW for a concert that opened at once', async () => {
    expect((await draw(randomUUID())).outcome).toBe('CONCERT_NOT_FOUND');
    const concert = await f.concert();
    const before = await f.state();
    expect(await draw(concert.id)).toEqual({ outcome: 'NO_DRAW', entrants: null, admitted: null });
    expect(await f.state()).toEqual(before);
  });

  it('answers NOT_OPEN_YET before the opening, and the concert stays UPCOMING', async () => {
    const { concertId } = await preQueued({ capacity: 2, entrants: 3, opensInSeconds: 600 });
    const before = await f.state();
    expect((await draw(concertId)).outcome).toBe('NOT_OPEN_YET');
    expect(await f.state()).toEqual(before);
    expect(await salesState(concertId)).toBe('UPCOMING');
  });

  it("tickets every entry 1..k in the seed's order and admits the first places", async () => {
    const { concertId, entryIds } = await preQueued({ capacity: 2, entrants: 7 });
    // Past the opening but not drawn: still UPCOMING, so nobody takes a ticket ahead of the draw.
    expect(await salesState(concertId)).toBe('UPCOMING');

    expect(await draw(concertId)).toEqual({ outcome: 'DRAWN', entrants: 7, admitted: 2 });

    const { rows: seed } = await f.db.query<{ seed: Buffer }>(
      'SELECT draw_seed AS seed FROM concerts WHERE id = $1',
      [concertId],
    );
    const key = (id: string) =>
      createHash('sha256')
        .update(Buffer.concat([seed[0]!.seed, Buffer.from(id.replaceAll('-', ''), 'hex')]))
        .digest();
    const expected = [...entryIds].sort((a, b) => Buffer.compare(key(a), key(b)));
    const { rows } = await f.db.query<{ id: string; ticket: string; status: string }>(
      'SELECT id, ticket, status FROM queue_entries WHERE concert_id = $1 ORDER BY ticket',
      [concertId],
    );
    expect(rows.map((row) => row.id)).toEqual(expected);
    expect(rows.map((row) => Number(row.ticket))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(rows.map((row) => row.status)).toEqual([
      'ACTIVE',
      'ACTIVE',
      'WAITING',
      'WAITING',
      'WAITING',
      'WAITING',
      'WAITING',
    ]);
    const { rows: queue } = await f.db.query(
      'SELECT last_ticket::int, activated_count::int, active_count FROM queues WHERE concert_id = $1',
      [concertId],
    );
    expect(queue[0]).toEqual({ last_ticket: 7, activated_count: 2, active_count: 2 });
    expect(await salesState(concertId)).toBe('ON_SALE');
  });

  it('admits the first places unclaimed, with the claim time as end_queue_entries admits', async () => {
    const { concertId } = await preQueued({ capacity: 2, entrants: 3 });
    // A claim time unlike the window, so the deadline tells which one the draw gave.
    await f.db.query(
      'UPDATE concerts SET queue_claim_seconds = 17, queue_window_seconds = 300 WHERE id = $1',
      [concertId],
    );
    expect(await draw(concertId)).toEqual({ outcome: 'DRAWN', entrants: 3, admitted: 2 });
    const { rows } = await f.db.query<{ status: string; claimed: boolean; deadline_ms: number }>(
      `SELECT status, claimed_at IS NOT NULL AS claimed,
              (extract(epoch FROM expires_at - activated_at) * 1000)::float8 AS deadline_ms
       FROM queue_entries WHERE concert_id = $1 AND status = 'ACTIVE' ORDER BY ticket`,
      [concertId],
    );
    expect(rows.map((row) => [row.status, row.claimed, Math.round(row.deadline_ms)])).toEqual([
      ['ACTIVE', false, 17_000],
      ['ACTIVE', false, 17_000],
    ]);
  });

  it('draws a concert paused before its opening but admits nobody until it resumes', async () => {
    const { concertId } = await preQueued({ capacity: 2, entrants: 3 });
    await f.db.query(`UPDATE concerts SET sales_state = 'PAUSED' WHERE id = $1`, [concertId]);
    expect(await draw(concertId)).toEqual({ outcome: 'DRAWN', entrants: 3, admitted: 0 });
    const { rows } = await f.db.query<{ status: string }>(
      'SELECT status FROM queue_entries WHERE concert_id = $1 ORDER BY ticket',
      [concertId],
    );
    expect(rows.map((row) => row.status)).toEqual(['WAITING', 'WAITING', 'WAITING']);
    expect(await salesState(concertId)).toBe('PAUSED');
  });

  it('answers ALREADY_DRAWN the second time, and changes nothing', async () => {
    const { concertId } = await preQueued({ capacity: 1, entrants: 3 });
    await draw(concertId);
    const before = await f.state();
    expect(await draw(concertId)).toEqual({ outcome: 'ALREADY_DRAWN', entrants: 3, admitted: null });
    expect(await f.state()).toEqual(before);
  });

  it('runs once when two calls race: the second waits for the lock, then finds it drawn', async () => {
    const { concertId } = await preQueued({ capacity: 1, entrants: 4 });
    const first = await f.transaction();
    try {
      expect((await draw(concertId, first.client as never)).outcome).toBe('DRAWN');
      const second = draw(concertId);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.end('COMMIT');
      expect(await second).toEqual({ outcome: 'ALREADY_DRAWN', entrants: 4, admitted: null });
    } finally {
      await first.end();
    }
  });

  it('answers SALES_CLOSED for a concert closed before its opening: the close ended the pre-queue', async () => {
    const { concertId } = await preQueued({ capacity: 1, entrants: 2 });
    await f.db.query('SELECT close_concert_sales($1)', [concertId]);
    const { rows } = await f.db.query<{ status: string; ticket: string | null }>(
      'SELECT status, ticket FROM queue_entries WHERE concert_id = $1',
      [concertId],
    );
    expect(rows).toEqual([
      { status: 'SALES_CLOSED', ticket: null },
      { status: 'SALES_CLOSED', ticket: null },
    ]);
    expect((await draw(concertId)).outcome).toBe('SALES_CLOSED');
  });

  it('lets a pre-queued entry leave without a ticket or a departure to count', async () => {
    const { concertId, entryIds } = await preQueued({ capacity: 1, entrants: 2, opensInSeconds: 600 });
    await f.db.query(`UPDATE queue_entries SET status = 'LEFT', ended_at = clock_timestamp() WHERE id = $1`, [
      entryIds[0],
    ]);
    const { rows } = await f.db.query('SELECT 1 FROM queue_departure_stripes WHERE concert_id = $1', [
      concertId,
    ]);
    expect(rows).toEqual([]);
  });

  describe('open_sales_for_draw, the first step', () => {
    it('answers why it opens nothing: no concert, no opening, not yet, closed', async () => {
      expect((await open(randomUUID())).outcome).toBe('CONCERT_NOT_FOUND');
      expect(await open((await f.concert()).id)).toEqual({ outcome: 'NO_DRAW', tickets: null });
      const ahead = await preQueued({ capacity: 1, entrants: 1, opensInSeconds: 600 });
      expect((await open(ahead.concertId)).outcome).toBe('NOT_OPEN_YET');
      expect(await salesState(ahead.concertId)).toBe('UPCOMING');
      const closed = await preQueued({ capacity: 1, entrants: 1 });
      await f.db.query('SELECT close_concert_sales($1)', [closed.concertId]);
      expect((await open(closed.concertId)).outcome).toBe('SALES_CLOSED');
    });

    it('reserves tickets 1..k and opens the sales; nobody is admitted before the draw', async () => {
      const { concertId } = await preQueued({ capacity: 5, entrants: 2 });
      expect(await open(concertId)).toEqual({ outcome: 'OPENED', tickets: 2 });
      expect(await open(concertId)).toEqual({ outcome: 'ALREADY_OPENED', tickets: 2 });
      expect(await salesState(concertId)).toBe('ON_SALE');
      // An entry now takes the ticket after the reserved ones, and waits: places are free, but
      // the drawn tickets, ahead of it, are not given yet.
      expect(await enterLate(concertId)).toBe(3);
      const { rows: sweep } = await f.db.query(
        `SELECT admitted FROM end_queue_entries($1, NULL, 'EXPIRED', false)`,
        [concertId],
      );
      expect(sweep[0]).toEqual({ admitted: 0 });

      // The draw admits the drawn entrants first, then the late one with the places left.
      expect(await draw(concertId)).toEqual({ outcome: 'DRAWN', entrants: 2, admitted: 3 });
      const { rows } = await f.db.query<{ ticket: number; status: string }>(
        `SELECT ticket::int, status FROM queue_entries WHERE concert_id = $1 ORDER BY ticket`,
        [concertId],
      );
      expect(rows).toEqual([
        { ticket: 1, status: 'ACTIVE' },
        { ticket: 2, status: 'ACTIVE' },
        { ticket: 3, status: 'ACTIVE' },
      ]);
      expect(await checkInvariants(f.db)).toEqual([]);
    });

    it("counts the reserved ticket of an entrant who left before the draw's tickets as a departure", async () => {
      const { concertId, entryIds } = await preQueued({ capacity: 1, entrants: 3 });
      expect(await open(concertId)).toEqual({ outcome: 'OPENED', tickets: 3 });
      await f.db.query(
        `UPDATE queue_entries SET status = 'LEFT', ended_at = clock_timestamp() WHERE id = $1`,
        [entryIds[0]],
      );
      expect(await enterLate(concertId)).toBe(4);

      expect(await draw(concertId)).toEqual({ outcome: 'DRAWN', entrants: 2, admitted: 1 });
      const { rows: tickets } = await f.db.query<{ id: string; ticket: number | null }>(
        `SELECT id, ticket::int FROM queue_entries WHERE concert_id = $1 AND id = ANY($2::uuid[]) ORDER BY ticket`,
        [concertId, entryIds],
      );
      expect(tickets.map((row) => row.ticket)).toEqual([1, 2, null]);
      const { rows: departed } = await f.db.query(
        `SELECT (SELECT sum(departed)::int FROM queue_departure_stripes WHERE concert_id = $1) AS departed,
                (SELECT mask::text FROM queue_departure_buckets WHERE concert_id = $1 AND bucket = 0) AS mask`,
        [concertId],
      );
      // Ticket 3 is the one nobody holds: bit 3.
      expect(departed[0]).toEqual({ departed: 1, mask: String(1 << 3) });
      expect(await checkInvariants(f.db)).toEqual([]);
    });

    it('answers SALES_CLOSED from the draw when the sales closed between the two steps', async () => {
      const { concertId } = await preQueued({ capacity: 1, entrants: 2 });
      await open(concertId);
      await f.db.query('SELECT close_concert_sales($1)', [concertId]);
      expect((await draw(concertId)).outcome).toBe('SALES_CLOSED');
      expect(await checkInvariants(f.db)).toEqual([]);
    });

    it("gives the draw's tickets without holding the sales lock", async () => {
      const { concertId } = await preQueued({ capacity: 1, entrants: 3 });
      await open(concertId);
      const drawing = await f.transaction();
      try {
        expect((await draw(concertId, drawing.client as never)).outcome).toBe('DRAWN');
        const { rows } = await f.db.query<{ free: boolean }>(
          'SELECT pg_try_advisory_xact_lock_shared(7002, hashtext($1::text)) AS free',
          [concertId],
        );
        // Its row locks are the entrants', the concert's (FOR NO KEY UPDATE: an entry's foreign
        // key check passes) and, from its last statements to its commit, the queue row's.
        expect(rows[0]!.free).toBe(true);
        await drawing.end('COMMIT');
      } finally {
        await drawing.end();
      }
      expect(await checkInvariants(f.db)).toEqual([]);
    });
  });
});
