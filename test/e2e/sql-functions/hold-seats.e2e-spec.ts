import { randomUUID } from 'node:crypto';
import { HOLD_SEATS_OUTCOMES } from '../../../src/reservations/reservations.repository.js';
import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/**
 * hold_seats called directly (prisma/functions/hold_seats.sql): one case per outcome and per
 * lock path. Every refusal must leave the database exactly as it was.
 */
describe('hold_seats', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** A user with an open window in a fresh concert of six seats. */
  async function shopper(options: { seats?: number } = {}) {
    const concert = await f.concert(options);
    const userId = await f.user();
    await f.openWindow(concert.id, userId);
    return { concert, userId, seatIds: concert.seatIds };
  }

  async function expectRefusal(
    request: Parameters<FunctionTestDatabase['holdSeats']>[0],
  ): Promise<Awaited<ReturnType<FunctionTestDatabase['holdSeats']>>[number]> {
    const before = await f.state();
    const rows = await f.holdSeats(request);
    expect(rows).toHaveLength(1);
    expect(await f.state()).toEqual(before);
    return rows[0]!;
  }

  it('HELD: holds every seat in the order asked, until one expiry by the database clock', async () => {
    const { concert, userId, seatIds } = await shopper();
    const asked = [seatIds[2]!, seatIds[0]!];
    const { rows: clock } = await f.db.query<{ now: Date }>('SELECT clock_timestamp() AS now');

    const rows = await f.holdSeats({ userId, concertId: concert.id, seatIds: asked, holdSeconds: 120 });

    expect(rows.map((row) => [row.outcome, row.hold_seat_id])).toEqual([
      ['HELD', asked[0]],
      ['HELD', asked[1]],
    ]);
    const expiresAt = rows[0]!.hold_expires_at!;
    expect(rows[1]!.hold_expires_at).toEqual(expiresAt);
    expect(expiresAt.getTime() - clock[0]!.now.getTime()).toBeGreaterThanOrEqual(120_000 - 1);
    const { rows: stored } = await f.db.query(
      `SELECT r.id, r.status, r.price, r.expires_at, s.status AS seat_status, s.held_until
       FROM reservations r JOIN seats s ON s.id = r.seat_id WHERE r.user_id = $1 ORDER BY s.position`,
      [userId],
    );
    expect(stored).toEqual([
      {
        id: rows[1]!.hold_id,
        status: 'PENDING',
        price: 1_000,
        expires_at: expiresAt,
        seat_status: 'HELD',
        held_until: expiresAt,
      },
      {
        id: rows[0]!.hold_id,
        status: 'PENDING',
        price: 1_000,
        expires_at: expiresAt,
        seat_status: 'HELD',
        held_until: expiresAt,
      },
    ]);
  });

  it('HELD: takes a seat whose hold lapsed, ending the old reservation first', async () => {
    const { concert, userId, seatIds } = await shopper();
    const other = await f.user();
    await f.openWindow(concert.id, other);
    const [old] = await f.held(other, concert.id, [seatIds[0]!]);
    await f.lapse(old!);

    const rows = await f.holdSeats({ userId, concertId: concert.id, seatIds: [seatIds[0]!] });

    expect(rows.map((row) => row.outcome)).toEqual(['HELD']);
    const { rows: reservations } = await f.db.query(
      'SELECT id, status FROM reservations WHERE seat_id = $1 ORDER BY created_at',
      [seatIds[0]],
    );
    expect(reservations).toEqual([
      { id: old, status: 'EXPIRED' },
      { id: rows[0]!.hold_id, status: 'PENDING' },
    ]);
  });

  it('CONCERT_NOT_FOUND: for a concert that does not exist', async () => {
    const { userId, seatIds } = await shopper();
    const row = await expectRefusal({ userId, concertId: randomUUID(), seatIds: [seatIds[0]!] });
    expect(row.outcome).toBe('CONCERT_NOT_FOUND');
  });

  it.each([
    ['SALES_PAUSED', 'PAUSED'],
    ['SALES_CLOSED', 'CLOSED'],
  ])('%s: for a concert whose sales are %s, before the window is looked at', async (outcome, state) => {
    const { concert, userId, seatIds } = await shopper();
    await f.db.query(`UPDATE concerts SET sales_state = $2::"SalesState" WHERE id = $1`, [concert.id, state]);
    const row = await expectRefusal({ userId, concertId: concert.id, seatIds: [seatIds[0]!] });
    expect(row.outcome).toBe(outcome);
  });

  it('SALES_CLOSED: once the concert has started, by the database clock, whatever is stored', async () => {
    const { concert, userId, seatIds } = await shopper();
    await f.db.query(
      `UPDATE concerts SET starts_at = clock_timestamp() - interval '1 minute' WHERE id = $1`,
      [concert.id],
    );
    const row = await expectRefusal({ userId, concertId: concert.id, seatIds: [seatIds[0]!] });
    expect(row.outcome).toBe('SALES_CLOSED');
  });

  it('QUEUE_NOT_ACTIVE: for a user still waiting, and for a window lapsed by the database clock', async () => {
    const concert = await f.concert({ capacity: 1 });
    const [first, second] = [await f.user(), await f.user()];
    await f.openWindow(concert.id, first);
    await f.enter(concert.id, second);

    const waiting = await expectRefusal({
      userId: second,
      concertId: concert.id,
      seatIds: [concert.seatIds[0]!],
    });
    expect(waiting.outcome).toBe('QUEUE_NOT_ACTIVE');

    // Lapsed, but not yet marked by the sweeper: the clock decides, not the status.
    await f.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second' WHERE user_id = $1`,
      [first],
    );
    const lapsed = await expectRefusal({
      userId: first,
      concertId: concert.id,
      seatIds: [concert.seatIds[0]!],
    });
    expect(lapsed.outcome).toBe('QUEUE_NOT_ACTIVE');
  });

  it('HOLD_LIMIT_EXCEEDED: live holds in the concert plus the seats asked above the cap, with the count', async () => {
    const { concert, userId, seatIds } = await shopper();
    await f.held(userId, concert.id, seatIds.slice(0, 3));
    const [lapsed] = await f.held(userId, concert.id, [seatIds[3]!]);
    await f.lapse(lapsed!); // a lapsed hold does not count

    const row = await expectRefusal({
      userId,
      concertId: concert.id,
      seatIds: seatIds.slice(4, 6),
      maxSeats: 4,
    });
    expect(row).toMatchObject({ outcome: 'HOLD_LIMIT_EXCEEDED', held: 3 });
  });

  it('SEAT_LOCKED: at once, naming only the seats another transaction has locked', async () => {
    const { concert, userId, seatIds } = await shopper();
    const other = await f.transaction();
    try {
      await other.client.query('SELECT 1 FROM seats WHERE id = $1 FOR UPDATE', [seatIds[1]]);
      const before = await f.state();
      const session = await f.session();
      try {
        // Were the function to wait for the seat, this would fail with 55P03 instead.
        await session.client.query(`SET lock_timeout = '5s'`);
        const rows = await f.holdSeats(
          { userId, concertId: concert.id, seatIds: [seatIds[0]!, seatIds[1]!] },
          session.client,
        );
        expect(rows).toEqual([expect.objectContaining({ outcome: 'SEAT_LOCKED', seat_ids: [seatIds[1]] })]);
      } finally {
        session.client.release(true); // its lock_timeout goes with it
      }
      expect(await f.state()).toEqual(before);
    } finally {
      await other.end();
    }
  });

  it('SEAT_NOT_FOUND: seats of another concert and unknown ids, in the order asked', async () => {
    const { concert, userId, seatIds } = await shopper();
    const elsewhere = await f.concert();
    const unknown = randomUUID();
    const row = await expectRefusal({
      userId,
      concertId: concert.id,
      seatIds: [unknown, seatIds[0]!, elsewhere.seatIds[0]!],
    });
    expect(row).toMatchObject({ outcome: 'SEAT_NOT_FOUND', seat_ids: [unknown, elsewhere.seatIds[0]] });
  });

  it('SEAT_NOT_FOUND: seats of another concert that exist, in the order asked', async () => {
    const { concert, userId, seatIds } = await shopper();
    const elsewhere = await f.concert();
    const asked = [elsewhere.seatIds[3]!, seatIds[0]!, elsewhere.seatIds[1]!, elsewhere.seatIds[5]!];
    const row = await expectRefusal({ userId, concertId: concert.id, seatIds: asked });
    expect(row).toMatchObject({ outcome: 'SEAT_NOT_FOUND', seat_ids: [asked[0], asked[2], asked[3]] });
  });

  it('SEAT_ALREADY_RESERVED: seats held by a live hold or sold, holding none of the others', async () => {
    const { concert, userId, seatIds } = await shopper();
    const other = await f.user();
    await f.openWindow(concert.id, other);
    await f.held(other, concert.id, [seatIds[0]!]);
    await f.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [seatIds[2]]);

    const row = await expectRefusal({
      userId,
      concertId: concert.id,
      seatIds: [seatIds[2]!, seatIds[1]!, seatIds[0]!],
    });
    expect(row).toMatchObject({ outcome: 'SEAT_ALREADY_RESERVED', seat_ids: [seatIds[2], seatIds[0]] });
  });

  it('SEAT_ALREADY_RESERVED before SEAT_LOCKED: a seat taken names the taken seats, whatever else is locked', async () => {
    const { concert, userId, seatIds } = await shopper();
    await f.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [seatIds[0]]);
    const other = await f.transaction();
    try {
      await other.client.query('SELECT 1 FROM seats WHERE id = $1 FOR UPDATE', [seatIds[1]]);
      const row = await expectRefusal({ userId, concertId: concert.id, seatIds: [seatIds[1]!, seatIds[0]!] });
      expect(row).toMatchObject({ outcome: 'SEAT_ALREADY_RESERVED', seat_ids: [seatIds[0]] });
    } finally {
      await other.end();
    }
  });

  it('a refusal for a taken seat locks no seat and writes nothing: no transaction id is assigned', async () => {
    const { concert, userId, seatIds } = await shopper();
    await f.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [seatIds[1]]);
    const tx = await f.transaction();
    try {
      const rows = await f.holdSeats(
        { userId, concertId: concert.id, seatIds: [seatIds[0]!, seatIds[1]!] },
        tx.client,
      );
      expect(rows).toEqual([
        expect.objectContaining({ outcome: 'SEAT_ALREADY_RESERVED', seat_ids: [seatIds[1]] }),
      ]);
      const { rows: xact } = await tx.client.query('SELECT pg_current_xact_id_if_assigned() AS id');
      expect(xact).toEqual([{ id: null }]);
      // The free seat asked beside it stays free for anyone else at once.
      const { rows: locked } = await f.db.query('SELECT id FROM seats WHERE id = $1 FOR UPDATE NOWAIT', [
        seatIds[0],
      ]);
      expect(locked).toHaveLength(1);
    } finally {
      await tx.end();
    }
  });

  it('commits a hold without waiting for its WAL flush (synchronous_commit off to the end of its transaction)', async () => {
    const { concert, userId, seatIds } = await shopper();
    const tx = await f.transaction();
    try {
      const rows = await f.holdSeats({ userId, concertId: concert.id, seatIds: [seatIds[0]!] }, tx.client);
      expect(rows[0]!.outcome).toBe('HELD');
      const { rows: setting } = await tx.client.query(
        `SELECT current_setting('synchronous_commit') AS value`,
      );
      expect(setting).toEqual([{ value: 'off' }]);
    } finally {
      await tx.end();
    }
    const { rows: after } = await f.db.query(`SELECT current_setting('synchronous_commit') AS value`);
    expect(after).toEqual([{ value: 'on' }]);
  });

  it('waits for the user’s hold lock and then counts the holds committed meanwhile', async () => {
    const { concert, userId, seatIds } = await shopper();
    // A parallel hold of the same user, past its cap check, holding three seats uncommitted.
    const parallel = await f.transaction();
    const session = await f.session();
    try {
      await parallel.client.query(
        `SELECT pg_advisory_xact_lock(7001, hashtext($1::text || ':' || $2::text))`,
        [userId, concert.id],
      );
      const call = f.holdSeats(
        { userId, concertId: concert.id, seatIds: [seatIds[4]!, seatIds[5]!] },
        session.client,
      );
      await f.waitUntilBlocked(session.pid);
      await f.holdSeats({ userId, concertId: concert.id, seatIds: seatIds.slice(0, 3) }, parallel.client);
      await parallel.end('COMMIT');

      expect(await call).toEqual([expect.objectContaining({ outcome: 'HOLD_LIMIT_EXCEEDED', held: 3 })]);
    } finally {
      session.client.release();
      await parallel.end();
    }
  });

  it('locks no concert row: a hold completes while another transaction locks the concert', async () => {
    const { concert, userId, seatIds } = await shopper();
    // FOR UPDATE conflicts with the KEY SHARE lock a foreign key to concerts would take.
    const other = await f.transaction();
    const session = await f.session();
    try {
      await other.client.query('SELECT 1 FROM concerts WHERE id = $1 FOR UPDATE', [concert.id]);
      await session.client.query("SET lock_timeout = '2s'");
      const rows = await f.holdSeats(
        { userId, concertId: concert.id, seatIds: [seatIds[0]!] },
        session.client,
      );

      expect(rows.map((row) => row.outcome)).toEqual(['HELD']);
    } finally {
      await session.client.query('RESET lock_timeout');
      session.client.release();
      await other.end();
    }
  });

  it('keeps a reservation’s concert its seat’s, and deletes it with its concert', async () => {
    const { concert, userId, seatIds } = await shopper();
    const other = await f.concert();
    const [holdId] = await f.held(userId, concert.id, [seatIds[0]!]);

    await expect(
      f.db.query(
        `INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
         VALUES ($1, $2, $3, 1000, now() + interval '5 minutes')`,
        [userId, other.id, seatIds[1]],
      ),
    ).rejects.toMatchObject({ code: '23503', constraint: 'reservations_seat_id_concert_id_fkey' });
    await expect(
      f.db.query('UPDATE reservations SET concert_id = $1 WHERE id = $2', [other.id, holdId]),
    ).rejects.toMatchObject({ code: '23503' });

    await f.db.query('DELETE FROM concerts WHERE id = $1', [concert.id]);
    const { rows } = await f.db.query('SELECT 1 FROM reservations WHERE concert_id = $1', [concert.id]);
    expect(rows).toEqual([]);
  });

  it('answered every outcome the TypeScript side declares (run with the cases above)', () => {
    expect([...f.answered.hold_seats].sort()).toEqual([...HOLD_SEATS_OUTCOMES].sort());
  });
});
