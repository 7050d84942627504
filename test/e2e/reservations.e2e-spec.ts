import { createConcert, type ConcertFixture } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

async function activeUser(t: TestApp, concertId: string): Promise<TestUser> {
  const user = await createUser(t);
  const res = await t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
  expect(res.body.status).toBe('ACTIVE');
  return user;
}

const hold = (t: TestApp, user: TestUser, concertId: string, seatIds: unknown) =>
  t.http().post('/reservation/seat').set(user.headers).send({ concertId, seatIds });

async function seatRows(t: TestApp, seatIds: string[]) {
  const { rows } = await t.db.query<{ id: string; status: string; held_until: Date | null }>(
    'SELECT id, status, held_until FROM seats WHERE id = ANY($1) ORDER BY id',
    [seatIds],
  );
  return rows;
}

async function reservationRows(t: TestApp, where: { userId?: string; seatIds?: string[] }) {
  const { rows } = await t.db.query<{
    id: string;
    user_id: string;
    seat_id: string;
    status: string;
    expires_at: Date;
  }>(
    `SELECT id, user_id, seat_id, status, expires_at FROM reservations
     WHERE ($1::uuid IS NULL OR user_id = $1) AND ($2::uuid[] IS NULL OR seat_id = ANY($2))
     ORDER BY created_at, id`,
    [where.userId ?? null, where.seatIds ?? null],
  );
  return rows;
}

/** Moves a hold's expiry into the past, as time passing would (seat and reservation together). */
async function lapseHold(t: TestApp, reservationId: string): Promise<void> {
  await t.db.query(
    `WITH r AS (UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1 RETURNING seat_id, expires_at)
     UPDATE seats SET held_until = r.expires_at FROM r WHERE seats.id = r.seat_id`,
    [reservationId],
  );
}

describe('Reservations', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Sweeper off: lapsed holds stay in the database until a request meets them.
    t = await createTestApp({ SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 50 });
  });
  afterAll(() => t.close());

  describe('GET /reservation/:concertId/seats', () => {
    it('pages through the seats in seat order with the concert’s details', async () => {
      const concert = await createConcert(t, { seats: 5, price: 30_000 });
      const user = await activeUser(t, concert.id);

      const first = await t
        .http()
        .get(`/reservation/${concert.id}/seats?page=1&limit=2`)
        .set(user.headers)
        .expect(200);
      expect(first.body.seats).toEqual([
        {
          id: concert.seatIds[0],
          number: 'A1',
          section: 'A',
          status: 'AVAILABLE',
          price: 30_000,
          mine: false,
        },
        {
          id: concert.seatIds[1],
          number: 'A2',
          section: 'A',
          status: 'AVAILABLE',
          price: 30_000,
          mine: false,
        },
      ]);
      expect(first.body.pagination).toEqual({ page: 1, limit: 2, total: 5, totalPages: 3 });
      expect(first.body.concertInfo).toEqual({
        id: concert.id,
        name: expect.any(String),
        venue: 'Test Hall',
        date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        startsAt: expect.any(String),
      });
      expect(first.body.concertInfo.date).toBe(first.body.concertInfo.startsAt.slice(0, 10));

      const last = await t
        .http()
        .get(`/reservation/${concert.id}/seats?page=3&limit=2`)
        .set(user.headers)
        .expect(200);
      expect(last.body.seats.map((seat: { number: string }) => seat.number)).toEqual(['A5']);
      const defaults = await t.http().get(`/reservation/${concert.id}/seats`).set(user.headers).expect(200);
      expect(defaults.body.pagination).toEqual({ page: 1, limit: 100, total: 5, totalPages: 1 });
    });

    it('shows HELD and SOLD seats, and a lapsed hold as AVAILABLE before any sweep', async () => {
      const concert = await createConcert(t, { seats: 3 });
      const user = await activeUser(t, concert.id);
      const held = await hold(t, user, concert.id, [concert.seatIds[0], concert.seatIds[1]]).expect(201);
      await lapseHold(t, held.body.reservations[1].id);
      await t.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [concert.seatIds[2]]);

      const res = await t.http().get(`/reservation/${concert.id}/seats`).set(user.headers).expect(200);
      expect(res.body.seats.map((seat: { status: string }) => seat.status)).toEqual([
        'HELD',
        'AVAILABLE',
        'SOLD',
      ]);
      expect((await seatRows(t, [concert.seatIds[1]!]))[0]!.status).toBe('HELD');
    });

    it.each([
      ['1..n (read as ranges of positions)', 'n'],
      ['with gaps, repeats and a late start (read by OFFSET)', '10 + (n / 2) * 3'],
    ])('pages in seat order whatever the positions: %s', async (_, position) => {
      const concert = await createConcert(t, { seats: 7 });
      // Seat i keeps its place in seat order (position, then id) under either numbering.
      await t.db.query(
        `UPDATE seats s SET position = ${position}
           FROM (SELECT id, row_number() OVER (ORDER BY position, id) AS n FROM seats WHERE concert_id = $1) o
           WHERE s.id = o.id`,
        [concert.id],
      );
      const inOrder = (
        await t.db.query<{ id: string }>('SELECT id FROM seats WHERE concert_id = $1 ORDER BY position, id', [
          concert.id,
        ])
      ).rows.map((row) => row.id);
      const user = await activeUser(t, concert.id);
      const page = async (query: string) =>
        (await t.http().get(`/reservation/${concert.id}/seats${query}`).set(user.headers).expect(200)).body;
      // The first unfiltered page counts the seats and looks at their positions; the rest use that.
      expect((await page('?page=1&limit=3')).seats.map((seat: { id: string }) => seat.id)).toEqual(
        inOrder.slice(0, 3),
      );
      for (const [query, from, to] of [
        ['?page=2&limit=3', 3, 6],
        ['?page=3&limit=3', 6, 7],
        ['?page=4&limit=3', 7, 7],
        ['?page=2&limit=2', 2, 4],
      ] as const) {
        const body = await page(query);
        expect({ query, ids: body.seats.map((seat: { id: string }) => seat.id) }).toEqual({
          query,
          ids: inOrder.slice(from, to),
        });
        expect(body.pagination.total).toBe(7);
      }
    });

    it('writes any seat number and section as JSON (quotes, backslashes, control characters, emoji)', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const number = 'A "1" \\ \u0001 \n 🎫';
      const section = 'Balcony </script> \t';
      await t.db.query('UPDATE seats SET number = $2, section = $3 WHERE id = $1', [
        concert.seatIds[0],
        number,
        section,
      ]);
      const user = await activeUser(t, concert.id);
      const res = await t.http().get(`/reservation/${concert.id}/seats`).set(user.headers).expect(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body.seats[0]).toEqual({
        id: concert.seatIds[0],
        number,
        section,
        price: expect.any(Number) as unknown,
        status: 'AVAILABLE',
        mine: false,
      });
    });

    it('filters by ?status= as the map shows it (a lapsed hold is AVAILABLE), with pagination counting the matches', async () => {
      const concert = await createConcert(t, { seats: 5 });
      const user = await activeUser(t, concert.id);
      const held = await hold(t, user, concert.id, [concert.seatIds[0], concert.seatIds[1]]).expect(201);
      await lapseHold(t, held.body.reservations[1].id);
      await t.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [concert.seatIds[4]]);
      const ids = async (query: string) => {
        const res = await t
          .http()
          .get(`/reservation/${concert.id}/seats${query}`)
          .set(user.headers)
          .expect(200);
        return {
          ids: res.body.seats.map((seat: { id: string }) => seat.id),
          total: res.body.pagination.total,
        };
      };

      // The unfiltered count is remembered from here on; a filtered total is still counted.
      expect(await ids('')).toEqual({ ids: concert.seatIds, total: 5 });
      expect(await ids('?status=AVAILABLE')).toEqual({ ids: concert.seatIds.slice(1, 4), total: 3 });
      expect(await ids('?status=AVAILABLE&limit=2&page=2')).toEqual({ ids: [concert.seatIds[3]], total: 3 });
      expect(await ids('?status=HELD')).toEqual({ ids: [concert.seatIds[0]], total: 1 });
      expect(await ids('?status=SOLD')).toEqual({ ids: [concert.seatIds[4]], total: 1 });
      expect(await ids('')).toEqual({ ids: concert.seatIds, total: 5 });
      const bad = await t
        .http()
        .get(`/reservation/${concert.id}/seats?status=FREE`)
        .set(user.headers)
        .expect(400);
      expect(bad.body.details.errors).toEqual([
        { field: 'status', message: expect.stringContaining('status must be one of'), constraint: 'isIn' },
      ]);
    });

    it("marks the caller's live holds and bought seats as mine, and nobody else's", async () => {
      const concert = await createConcert(t, { seats: 5, price: 1_000 });
      const [user, other] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
      const [bought, heldSeat, lapsed, othersSeat] = concert.seatIds;
      const purchase = await hold(t, user, concert.id, [bought]).expect(201);
      await t.http().patch('/points/charge').set(user.headers).send({ amount: 1_000 }).expect(200);
      await t
        .http()
        .post('/payment')
        .set(user.headers)
        .send({ reservationIds: [purchase.body.reservations[0].id] })
        .expect(200);
      // Paying ended the window: queue again for the holds below.
      await t.http().get(`/concerts/${concert.id}/queue-entry`).set(user.headers).expect(201);
      await hold(t, user, concert.id, [heldSeat]).expect(201);
      const old = await hold(t, user, concert.id, [lapsed]).expect(201);
      await lapseHold(t, old.body.reservations[0].id);
      await hold(t, other, concert.id, [othersSeat]).expect(201);

      const mine = async (viewer: TestUser) => {
        const res = await t.http().get(`/reservation/${concert.id}/seats`).set(viewer.headers).expect(200);
        return res.body.seats.map((seat: { status: string; mine: boolean }) => [seat.status, seat.mine]);
      };
      expect(await mine(user)).toEqual([
        ['SOLD', true],
        ['HELD', true],
        ['AVAILABLE', false],
        ['HELD', false],
        ['AVAILABLE', false],
      ]);
      expect((await mine(other)).map(([, isMine]: [string, boolean]) => isMine)).toEqual([
        false,
        false,
        false,
        true,
        false,
      ]);
    });

    it('answers 404 for an unknown concert before the queue gate, 403 without an open window, 400 for bad input', async () => {
      const concert = await createConcert(t, { capacity: 1 });
      await activeUser(t, concert.id);
      const waiting = await createUser(t);
      await t.http().get(`/concerts/${concert.id}/queue-entry`).set(waiting.headers).expect(201);

      const unknown = await t.http().get(`/reservation/${UNKNOWN_ID}/seats`).set(waiting.headers).expect(404);
      expect(unknown.body.code).toBe('CONCERT_NOT_FOUND');
      const gated = await t.http().get(`/reservation/${concert.id}/seats`).set(waiting.headers).expect(403);
      expect(gated.body.code).toBe('QUEUE_NOT_ACTIVE');
      await t.http().get('/reservation/not-a-uuid/seats').set(waiting.headers).expect(400);
      await t.http().get(`/reservation/${concert.id}/seats?limit=501`).set(waiting.headers).expect(400);
      await t.http().get(`/reservation/${concert.id}/seats?page=0`).set(waiting.headers).expect(400);
      await t.http().get(`/reservation/${concert.id}/seats`).expect(401);
    });

    it('leaves GET /reservation/available-dates to the concerts feature', async () => {
      const concert = await createConcert(t);
      const user = await createUser(t);
      const res = await t.http().get('/reservation/available-dates').set(user.headers).expect(200);
      expect(res.body.availableDates.map((date: { concertId: string }) => date.concertId)).toContain(
        concert.id,
      );
    });
  });

  describe('POST /reservation/seat', () => {
    it('holds every requested seat until the same expiry and answers 201 with the reservations', async () => {
      const concert = await createConcert(t, { seats: 3, price: 20_000 });
      const user = await activeUser(t, concert.id);
      const seatIds = [concert.seatIds[2]!, concert.seatIds[0]!];

      const res = await hold(t, user, concert.id, seatIds).expect(201);

      expect(res.body.reservations).toEqual(
        seatIds.map((seatId) => ({
          id: expect.any(String),
          seatId,
          status: 'PENDING',
          price: 20_000,
          expiresAt: expect.any(String),
        })),
      );
      const expiresAt = res.body.reservations[0].expiresAt as string;
      expect(res.body.reservations[1].expiresAt).toBe(expiresAt);
      expect(res.body).toMatchObject({ totalAmount: 40_000, expiresAt });
      expect(new Date(expiresAt).getTime()).toBeGreaterThan(Date.now());
      const seats = await seatRows(t, seatIds);
      expect(seats.map((seat) => [seat.status, seat.held_until?.toISOString()])).toEqual([
        ['HELD', expiresAt],
        ['HELD', expiresAt],
      ]);
      const reservations = await reservationRows(t, { userId: user.id });
      expect(reservations.map((row) => row.status)).toEqual(['PENDING', 'PENDING']);
      const { rows } = await t.db.query<{ price: number }>(
        'SELECT price FROM reservations WHERE user_id = $1',
        [user.id],
      );
      expect(rows.map((row) => row.price)).toEqual([20_000, 20_000]);
    });

    it('accepts seat ids in upper case as the same seats', async () => {
      const concert = await createConcert(t, { seats: 1 });
      const user = await activeUser(t, concert.id);
      const res = await hold(t, user, concert.id.toUpperCase(), [concert.seatIds[0]!.toUpperCase()]).expect(
        201,
      );
      expect(res.body.reservations[0].seatId).toBe(concert.seatIds[0]);
    });

    it('answers 403 QUEUE_NOT_ACTIVE to a user without an open window and holds nothing', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const outsider = await createUser(t);
      const res = await hold(t, outsider, concert.id, [concert.seatIds[0]]).expect(403);
      expect(res.body.code).toBe('QUEUE_NOT_ACTIVE');
      expect((await seatRows(t, concert.seatIds)).map((seat) => seat.status)).toEqual([
        'AVAILABLE',
        'AVAILABLE',
      ]);
    });

    it('answers 404 SEAT_NOT_FOUND naming seats of another concert or none, and holds nothing', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const other = await createConcert(t, { seats: 1 });
      const user = await activeUser(t, concert.id);

      const res = await hold(t, user, concert.id, [concert.seatIds[0], other.seatIds[0], UNKNOWN_ID]).expect(
        404,
      );
      expect(res.body).toMatchObject({
        code: 'SEAT_NOT_FOUND',
        details: { seatIds: [other.seatIds[0], UNKNOWN_ID] },
      });
      expect(
        (await seatRows(t, [...concert.seatIds, ...other.seatIds])).every(
          (seat) => seat.status === 'AVAILABLE',
        ),
      ).toBe(true);
      expect(await reservationRows(t, { userId: user.id })).toEqual([]);

      const unknownConcert = await hold(t, user, UNKNOWN_ID, [concert.seatIds[0]]).expect(404);
      expect(unknownConcert.body.code).toBe('CONCERT_NOT_FOUND');
    });

    it('answers 409 SEAT_ALREADY_RESERVED when any seat is held or sold, and holds none of the others', async () => {
      const concert = await createConcert(t, { seats: 4 });
      const [first, second] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
      await hold(t, first, concert.id, [concert.seatIds[1]]).expect(201);
      await t.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [concert.seatIds[3]]);

      const res = await hold(t, second, concert.id, concert.seatIds).expect(409);

      expect(res.body.code).toBe('SEAT_ALREADY_RESERVED');
      expect([...res.body.details.seatIds].sort()).toEqual([concert.seatIds[1], concert.seatIds[3]].sort());
      expect(
        (await seatRows(t, [concert.seatIds[0]!, concert.seatIds[2]!])).map((seat) => seat.status),
      ).toEqual(['AVAILABLE', 'AVAILABLE']);
      expect(await reservationRows(t, { userId: second.id })).toEqual([]);
      // The holder's own seat is taken for them too.
      expect((await hold(t, first, concert.id, [concert.seatIds[1]]).expect(409)).body.code).toBe(
        'SEAT_ALREADY_RESERVED',
      );
    });

    it('answers 409 at once, naming the seat and holding nothing, while another transaction has a seat locked', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const user = await activeUser(t, concert.id);
      const other = await t.db.connect();
      try {
        await other.query('BEGIN');
        await other.query('SELECT 1 FROM seats WHERE id = $1 FOR UPDATE', [concert.seatIds[1]]);

        const res = await hold(t, user, concert.id, concert.seatIds).expect(409);

        expect(res.body).toMatchObject({
          code: 'SEAT_ALREADY_RESERVED',
          details: { seatIds: [concert.seatIds[1]] },
        });
        expect((await seatRows(t, concert.seatIds)).map((seat) => seat.status)).toEqual([
          'AVAILABLE',
          'AVAILABLE',
        ]);
      } finally {
        await other.query('ROLLBACK');
        other.release();
      }
      await hold(t, user, concert.id, concert.seatIds).expect(201);
    });

    it('counts only the concert’s own live holds toward the cap', async () => {
      const [concert, other] = [await createConcert(t, { seats: 6 }), await createConcert(t, { seats: 4 })];
      const user = await activeUser(t, concert.id);
      await t.http().get(`/concerts/${other.id}/queue-entry`).set(user.headers).expect(201);
      await hold(t, user, other.id, other.seatIds).expect(201);
      await hold(t, user, concert.id, concert.seatIds.slice(0, 2)).expect(201);

      const over = await hold(t, user, concert.id, concert.seatIds.slice(2, 5)).expect(409);
      expect(over.body.details).toEqual({ limit: 4, held: 2, requested: 3 });
      await hold(t, user, concert.id, concert.seatIds.slice(2, 4)).expect(201);
    });

    it.each<[string, (concert: ConcertFixture) => Record<string, unknown>]>([
      ['a seat id that is not a uuid', (c) => ({ concertId: c.id, seatIds: ['A1'] })],
      ['an empty list', (c) => ({ concertId: c.id, seatIds: [] })],
      ['a repeated seat', (c) => ({ concertId: c.id, seatIds: [c.seatIds[0], c.seatIds[0]] })],
      [
        'the same seat in two cases',
        (c) => ({ concertId: c.id, seatIds: [c.seatIds[0], c.seatIds[0]!.toUpperCase()] }),
      ],
      ['more than MAX_SEATS_PER_RESERVATION seats', (c) => ({ concertId: c.id, seatIds: c.seatIds })],
      ['seatIds that is not an array', (c) => ({ concertId: c.id, seatIds: c.seatIds[0] })],
      ['no concertId', (c) => ({ seatIds: [c.seatIds[0]] })],
      ['an unknown field', (c) => ({ concertId: c.id, seatIds: [c.seatIds[0]], userId: UNKNOWN_ID })],
    ])('answers 400 for %s and holds nothing', async (_case, bodyFor) => {
      const concert = await createConcert(t, { seats: 5 });
      const user = await activeUser(t, concert.id);

      const res = await t
        .http()
        .post('/reservation/seat')
        .set(user.headers)
        .send(bodyFor(concert))
        .expect(400);

      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await reservationRows(t, { userId: user.id })).toEqual([]);
      expect((await seatRows(t, concert.seatIds)).every((seat) => seat.status === 'AVAILABLE')).toBe(true);
    });

    it('caps a user’s live holds in a concert at MAX_SEATS_PER_RESERVATION (409 HOLD_LIMIT_EXCEEDED)', async () => {
      const concert = await createConcert(t, { seats: 8 });
      const user = await activeUser(t, concert.id);
      await hold(t, user, concert.id, concert.seatIds.slice(0, 3)).expect(201);

      const over = await hold(t, user, concert.id, concert.seatIds.slice(3, 5)).expect(409);
      expect(over.body).toMatchObject({
        code: 'HOLD_LIMIT_EXCEEDED',
        details: { limit: 4, held: 3, requested: 2 },
      });
      expect((await seatRows(t, concert.seatIds.slice(3, 5))).map((seat) => seat.status)).toEqual([
        'AVAILABLE',
        'AVAILABLE',
      ]);

      await hold(t, user, concert.id, [concert.seatIds[3]]).expect(201);
      // A lapsed hold no longer counts.
      const [oldest] = await reservationRows(t, { userId: user.id });
      await lapseHold(t, oldest!.id);
      await hold(t, user, concert.id, [concert.seatIds[4]]).expect(201);
    });

    it('keeps the cap when one user sends holds in parallel', async () => {
      const concert = await createConcert(t, { seats: 8 });
      const user = await activeUser(t, concert.id);
      const pairs = [0, 2, 4, 6].map((i) => concert.seatIds.slice(i, i + 2));

      const responses = await Promise.all(pairs.map((pair) => hold(t, user, concert.id, pair)));

      expect(responses.filter((res) => res.status === 201)).toHaveLength(2);
      expect(responses.filter((res) => res.status === 409).map((res) => res.body.code)).toEqual([
        'HOLD_LIMIT_EXCEEDED',
        'HOLD_LIMIT_EXCEEDED',
      ]);
      expect(await reservationRows(t, { userId: user.id })).toHaveLength(4);
      expect((await seatRows(t, concert.seatIds)).filter((seat) => seat.status === 'HELD')).toHaveLength(4);
    });

    it('lets another user take a seat whose hold lapsed, expiring the old reservation', async () => {
      const concert = await createConcert(t, { seats: 1 });
      const [first, second] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
      const old = await hold(t, first, concert.id, concert.seatIds).expect(201);
      await lapseHold(t, old.body.reservations[0].id);

      const res = await hold(t, second, concert.id, concert.seatIds).expect(201);

      const rows = await reservationRows(t, { seatIds: concert.seatIds });
      expect(rows.map((row) => [row.user_id, row.status])).toEqual([
        [first.id, 'EXPIRED'],
        [second.id, 'PENDING'],
      ]);
      expect((await seatRows(t, concert.seatIds))[0]!.held_until!.toISOString()).toBe(
        res.body.reservations[0].expiresAt,
      );
    });

    it('lets exactly one of 50 active users hold the same seat', async () => {
      const concert = await createConcert(t, { seats: 1, capacity: 50 });
      const users = await Promise.all(Array.from({ length: 50 }, () => activeUser(t, concert.id)));

      const responses = await Promise.all(users.map((user) => hold(t, user, concert.id, concert.seatIds)));

      expect(responses.filter((res) => res.status === 201)).toHaveLength(1);
      const losers = responses.filter((res) => res.status !== 201);
      expect(losers.map((res) => [res.status, res.body.code])).toEqual(
        losers.map(() => [409, 'SEAT_ALREADY_RESERVED']),
      );
      expect(await reservationRows(t, { seatIds: concert.seatIds })).toHaveLength(1);
    });

    it('never deadlocks or splits two overlapping multi-seat requests', async () => {
      const rounds = 20;
      const concert = await createConcert(t, { seats: rounds * 3, capacity: 50 });
      const outcomes: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const [s1, s2, s3] = concert.seatIds.slice(round * 3, round * 3 + 3) as [string, string, string];
        const [left, right] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
        // Fresh users each round, so no one reaches the hold limit; 40 windows fit the capacity of 50.
        const [a, b] = await Promise.all([
          hold(t, left, concert.id, [s1, s2]),
          hold(t, right, concert.id, [s3, s2]),
        ]);

        outcomes.push([a.status, b.status].sort().join('/'));
        const [winner, winnerSeats, loser] =
          a.status === 201 ? [left, [s1, s2], right] : [right, [s2, s3], left];
        const seats = await seatRows(t, [s1, s2, s3]);
        expect(
          seats
            .filter((seat) => seat.status === 'HELD')
            .map((seat) => seat.id)
            .sort(),
        ).toEqual([...winnerSeats].sort());
        expect((await reservationRows(t, { userId: winner.id })).map((row) => row.seat_id).sort()).toEqual(
          [...winnerSeats].sort(),
        );
        expect(await reservationRows(t, { userId: loser.id })).toEqual([]);
        expect([a, b].find((res) => res.status !== 201)?.body.code).toBe('SEAT_ALREADY_RESERVED');
      }
      expect(outcomes).toEqual(Array.from({ length: rounds }, () => '201/409'));
    });
  });

  describe('GET /reservation', () => {
    it('lists only the caller’s reservations, newest first, with a lapsed hold as EXPIRED and a status filter', async () => {
      const concert = await createConcert(t, { seats: 3, price: 15_000, name: 'Summer Rock Fest' });
      const user = await activeUser(t, concert.id);
      const stranger = await activeUser(t, concert.id);
      const older = await hold(t, user, concert.id, [concert.seatIds[0]]).expect(201);
      const newer = await hold(t, user, concert.id, [concert.seatIds[1]]).expect(201);
      await hold(t, stranger, concert.id, [concert.seatIds[2]]).expect(201);
      await lapseHold(t, older.body.reservations[0].id);

      const res = await t.http().get('/reservation').set(user.headers).expect(200);

      expect(res.body.pagination).toEqual({ page: 1, limit: 20, total: 2, totalPages: 1 });
      expect(res.body.reservations).toEqual([
        {
          id: newer.body.reservations[0].id,
          concertId: concert.id,
          concertName: 'Summer Rock Fest',
          seatId: concert.seatIds[1],
          seatNumber: 'A2',
          price: 15_000,
          status: 'PENDING',
          reservedAt: expect.any(String),
          expiresAt: newer.body.reservations[0].expiresAt,
        },
        expect.objectContaining({ id: older.body.reservations[0].id, seatNumber: 'A1', status: 'EXPIRED' }),
      ]);
      const expired = await t.http().get('/reservation?status=EXPIRED').set(user.headers).expect(200);
      expect(expired.body.reservations.map((r: { id: string }) => r.id)).toEqual([
        older.body.reservations[0].id,
      ]);
      expect(expired.body.pagination.total).toBe(1);
      const pending = await t.http().get('/reservation?status=PENDING&limit=1').set(user.headers).expect(200);
      expect(pending.body.reservations.map((r: { id: string }) => r.id)).toEqual([
        newer.body.reservations[0].id,
      ]);
      await t.http().get('/reservation?status=LOST').set(user.headers).expect(400);
      await t.http().get('/reservation?limit=101').set(user.headers).expect(400);
    });
  });

  describe('GET /reservation and GET /payment/:id after paying', () => {
    it('show paidAt and no stale expiresAt on a paid reservation, and expiresAt on the others', async () => {
      const concert = await createConcert(t, { seats: 3, price: 2_000 });
      const user = await activeUser(t, concert.id);
      const paid = await hold(t, user, concert.id, [concert.seatIds[0]]).expect(201);
      const cancelled = await hold(t, user, concert.id, [concert.seatIds[1]]).expect(201);
      await t
        .http()
        .delete(`/reservation/${cancelled.body.reservations[0].id}`)
        .set(user.headers)
        .expect(204);
      const pending = await hold(t, user, concert.id, [concert.seatIds[2]]).expect(201);
      await t.http().patch('/points/charge').set(user.headers).send({ amount: 2_000 }).expect(200);
      const payment = await t
        .http()
        .post('/payment')
        .set(user.headers)
        .send({ reservationIds: [paid.body.reservations[0].id] })
        .expect(200);

      const list = await t.http().get('/reservation').set(user.headers).expect(200);
      const byId = new Map(list.body.reservations.map((r: { id: string }) => [r.id, r]));
      const confirmed = byId.get(paid.body.reservations[0].id) as Record<string, unknown>;
      expect(confirmed).toMatchObject({ status: 'CONFIRMED', paidAt: payment.body.createdAt });
      expect(confirmed).not.toHaveProperty('expiresAt');
      const gone = byId.get(cancelled.body.reservations[0].id) as Record<string, unknown>;
      expect(gone.status).toBe('CANCELLED');
      expect(gone).not.toHaveProperty('expiresAt');
      expect(gone).not.toHaveProperty('paidAt');
      expect(byId.get(pending.body.reservations[0].id)).toMatchObject({
        status: 'PENDING',
        expiresAt: pending.body.expiresAt,
      });
      expect(byId.get(pending.body.reservations[0].id)).not.toHaveProperty('paidAt');

      const details = await t.http().get(`/payment/${payment.body.paymentId}`).set(user.headers).expect(200);
      expect(details.body.reservations).toEqual([confirmed]);
    });
  });

  describe('DELETE /reservation/:id', () => {
    it('cancels the caller’s hold and frees the seat for anyone', async () => {
      const concert = await createConcert(t, { seats: 1 });
      const [owner, next] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
      const held = await hold(t, owner, concert.id, concert.seatIds).expect(201);
      const reservationId = held.body.reservations[0].id as string;

      await t.http().delete(`/reservation/${reservationId}`).set(owner.headers).expect(204);

      expect((await reservationRows(t, { userId: owner.id })).map((row) => row.status)).toEqual([
        'CANCELLED',
      ]);
      expect((await seatRows(t, concert.seatIds))[0]).toMatchObject({
        status: 'AVAILABLE',
        held_until: null,
      });
      await hold(t, next, concert.id, concert.seatIds).expect(201);
      const again = await t.http().delete(`/reservation/${reservationId}`).set(owner.headers).expect(409);
      expect(again.body).toMatchObject({ code: 'RESERVATION_NOT_PENDING', details: { status: 'CANCELLED' } });
    });

    it('refuses another user’s hold (403), an unknown one (404), a lapsed one (409) and a bad id (400)', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const [owner, other] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
      const held = await hold(t, owner, concert.id, concert.seatIds).expect(201);
      const [live, lapsed] = held.body.reservations.map((r: { id: string }) => r.id) as [string, string];
      await lapseHold(t, lapsed);

      expect((await t.http().delete(`/reservation/${live}`).set(other.headers).expect(403)).body.code).toBe(
        'RESERVATION_FORBIDDEN',
      );
      expect(
        (await t.http().delete(`/reservation/${UNKNOWN_ID}`).set(owner.headers).expect(404)).body.code,
      ).toBe('RESERVATION_NOT_FOUND');
      const gone = await t.http().delete(`/reservation/${lapsed}`).set(owner.headers).expect(409);
      expect(gone.body).toMatchObject({ code: 'RESERVATION_NOT_PENDING', details: { status: 'EXPIRED' } });
      await t.http().delete('/reservation/not-a-uuid').set(owner.headers).expect(400);
      expect((await seatRows(t, concert.seatIds)).map((seat) => seat.status)).toEqual(
        concert.seatIds.map(() => 'HELD'),
      );
    });
  });
});

describe('Reservations: the sweeper', () => {
  let t: TestApp;
  let concert: ConcertFixture;

  beforeAll(async () => {
    t = await createTestApp({
      EXPIRY_SWEEP_INTERVAL_MS: 100,
      RESERVATION_HOLD_SECONDS: 1,
      QUEUE_WINDOW_SECONDS: 600,
    });
    concert = await createConcert(t, { seats: 2 });
  });
  afterAll(() => t.close());

  it('releases an expired hold, after which the seat can be held again', async () => {
    const [first, second] = [await activeUser(t, concert.id), await activeUser(t, concert.id)];
    const held = await hold(t, first, concert.id, [concert.seatIds[0]]).expect(201);

    await waitFor(async () => (await seatRows(t, [concert.seatIds[0]!]))[0]!.status === 'AVAILABLE');

    expect((await seatRows(t, [concert.seatIds[0]!]))[0]!.held_until).toBeNull();
    const { rows } = await t.db.query('SELECT status FROM reservations WHERE id = $1', [
      held.body.reservations[0].id,
    ]);
    expect(rows[0].status).toBe('EXPIRED');
    await hold(t, second, concert.id, [concert.seatIds[0]]).expect(201);
  });
});
