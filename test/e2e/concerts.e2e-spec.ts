import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';

const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('Concerts', () => {
  let t: TestApp;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ QUEUE_ACTIVE_CAPACITY: 7, QUEUE_WINDOW_SECONDS: 120 });
    [admin, user] = await Promise.all([createUser(t, { role: 'ADMIN' }), createUser(t)]);
  });
  afterAll(() => t.close());

  const countRows = async () => {
    const { rows } = await t.db.query<{ concerts: number; seats: number; queues: number }>(
      `SELECT (SELECT count(*)::int FROM concerts) AS concerts, (SELECT count(*)::int FROM seats) AS seats,
              (SELECT count(*)::int FROM queues) AS queues`,
    );
    return rows[0]!;
  };

  const aConcert = (overrides: Record<string, unknown> = {}) => ({
    name: 'Summer Rock Fest',
    venue: 'Olympic Hall',
    startsAt: inDays(30),
    layout: { rows: [{ label: 'A', seats: 3, price: 100_000 }] },
    ...overrides,
  });

  describe('POST /admin/concerts', () => {
    it('creates a concert from a layout that then appears in both public lists', async () => {
      const startsAt = '2031-07-15T19:00:00+09:00';
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send({
          name: '  Summer Rock Fest  ',
          venue: 'Olympic Hall',
          startsAt,
          layout: {
            rows: [
              { label: 'A', seats: 10, price: 100_000 },
              { label: 'B', seats: 5, price: 80_000 },
            ],
          },
        })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'Summer Rock Fest',
        venue: 'Olympic Hall',
        startsAt: '2031-07-15T10:00:00.000Z',
        salesState: 'ON_SALE',
        salesCloseAt: '2031-07-15T10:00:00.000Z',
        salesOpenAt: null,
        preQueueOpensAt: null,
        preQueueOpensSeconds: 1800,
        queueCapacity: 7,
        queueWindowSeconds: 120,
        queueClaimSeconds: 30,
        seatCount: 15,
      });
      const concertId = res.body.id as string;

      const list = await t.http().get('/concerts').set(user.headers).expect(200);
      expect(list.body.queueEntries).toContainEqual({
        concertId,
        name: 'Summer Rock Fest',
        venue: 'Olympic Hall',
        date: '2031-07-15',
        startsAt: '2031-07-15T10:00:00.000Z',
        salesState: 'ON_SALE',
        salesCloseAt: '2031-07-15T10:00:00.000Z',
        salesOpenAt: null,
        queuePosition: null,
        status: null,
        estimatedWaitTime: null,
      });
      const dates = await t.http().get('/reservation/available-dates').set(user.headers).expect(200);
      expect(dates.body.availableDates).toContainEqual({
        date: '2031-07-15',
        concertId,
        name: 'Summer Rock Fest',
        venue: 'Olympic Hall',
        startsAt: '2031-07-15T10:00:00.000Z',
      });
    });

    it('stores explicit seats in request order with their sections and prices, and the queue row', async () => {
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(
          aConcert({
            layout: undefined,
            queueCapacity: 3,
            queueWindowSeconds: 60,
            seats: [
              { number: 'VIP-2', price: 200_000, section: 'VIP' },
              { number: 'VIP-1', price: 0, section: 'VIP' },
              { number: 'S1', price: 50_000 },
            ],
          }),
        )
        .expect(201);
      expect(res.body).toMatchObject({ queueCapacity: 3, queueWindowSeconds: 60, seatCount: 3 });
      const seats = await t.db.query(
        'SELECT number, section, position, price, status, held_until FROM seats WHERE concert_id = $1 ORDER BY position',
        [res.body.id],
      );
      expect(seats.rows).toEqual([
        {
          number: 'VIP-2',
          section: 'VIP',
          position: 1,
          price: 200_000,
          status: 'AVAILABLE',
          held_until: null,
        },
        { number: 'VIP-1', section: 'VIP', position: 2, price: 0, status: 'AVAILABLE', held_until: null },
        {
          number: 'S1',
          section: 'GENERAL',
          position: 3,
          price: 50_000,
          status: 'AVAILABLE',
          held_until: null,
        },
      ]);
      const queue = await t.db.query(
        'SELECT last_ticket, activated_count, active_count FROM queues WHERE concert_id = $1',
        [res.body.id],
      );
      expect(queue.rows).toEqual([{ last_ticket: '0', activated_count: '0', active_count: 0 }]);
    });

    it('answers duplicate seat numbers with 400 INVALID_SEAT_LAYOUT listing them', async () => {
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(
          aConcert({
            layout: undefined,
            seats: [
              { number: 'A1', price: 1 },
              { number: 'A2', price: 1 },
              { number: 'A1', price: 1 },
              { number: 'A2', price: 1 },
              { number: 'A3', price: 1 },
            ],
          }),
        )
        .expect(400);
      expect(res.body).toMatchObject({
        code: 'INVALID_SEAT_LAYOUT',
        details: { duplicates: ['A1', 'A2'], duplicateCount: 2 },
      });
    });

    it.each([
      [
        'a layout whose rows produce the same number twice',
        {
          layout: {
            rows: [
              { label: 'A', seats: 11, price: 1 },
              { label: 'A1', seats: 1, price: 1 },
            ],
          },
        },
        'INVALID_SEAT_LAYOUT',
      ],
      ['both seats and layout', { seats: [{ number: 'A1', price: 1 }] }, 'INVALID_SEAT_LAYOUT'],
      ['neither seats nor layout', { layout: undefined }, 'INVALID_SEAT_LAYOUT'],
      ['a null layout and no seats', { layout: null }, 'INVALID_SEAT_LAYOUT'],
      ['null seats and null layout', { layout: null, seats: null }, 'INVALID_SEAT_LAYOUT'],
      [
        'a layout of more than 50,000 seats',
        {
          layout: {
            rows: [
              { label: 'A', seats: 30_000, price: 1 },
              { label: 'B', seats: 20_001, price: 1 },
            ],
          },
        },
        'INVALID_SEAT_LAYOUT',
      ],
      ['an empty seat list', { layout: undefined, seats: [] }, 'VALIDATION_FAILED'],
      ['an empty layout', { layout: { rows: [] } }, 'VALIDATION_FAILED'],
      [
        'a row of zero seats',
        { layout: { rows: [{ label: 'A', seats: 0, price: 1 }] } },
        'VALIDATION_FAILED',
      ],
      [
        'a price above 10,000,000',
        { layout: { rows: [{ label: 'A', seats: 1, price: 10_000_001 }] } },
        'VALIDATION_FAILED',
      ],
      ['a negative price', { layout: undefined, seats: [{ number: 'A1', price: -1 }] }, 'VALIDATION_FAILED'],
      [
        'a fractional price',
        { layout: undefined, seats: [{ number: 'A1', price: 1.5 }] },
        'VALIDATION_FAILED',
      ],
      [
        'a blank seat number',
        { layout: undefined, seats: [{ number: '  ', price: 1 }] },
        'VALIDATION_FAILED',
      ],
      [
        'an unknown seat field',
        { layout: undefined, seats: [{ number: 'A1', price: 1, status: 'SOLD' }] },
        'VALIDATION_FAILED',
      ],
      ['a blank name', { name: '   ' }, 'VALIDATION_FAILED'],
      ['a name over 200 characters', { name: 'x'.repeat(201) }, 'VALIDATION_FAILED'],
      ['a missing venue', { venue: undefined }, 'VALIDATION_FAILED'],
      ['a date in the past', { startsAt: inDays(-1) }, 'CONCERT_DATE_IN_PAST'],
      ['a date-time without a time zone', { startsAt: '2031-07-15T19:00:00' }, 'VALIDATION_FAILED'],
      ['an impossible date', { startsAt: '2031-02-30T19:00:00Z' }, 'VALIDATION_FAILED'],
      ['a queue capacity of zero', { queueCapacity: 0 }, 'VALIDATION_FAILED'],
      ['a queue window of zero seconds', { queueWindowSeconds: 0 }, 'VALIDATION_FAILED'],
    ])('answers %s with 400 and creates nothing', async (_case, overrides, code) => {
      const before = await countRows();
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(aConcert(overrides))
        .expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code });
      expect(await countRows()).toEqual(before);
    });

    it('creates a 50,000-seat layout in one request', async () => {
      const rows = Array.from({ length: 100 }, (_, row) => ({
        label: `R${row + 1}-`,
        seats: 500,
        price: 10_000 + row,
      }));
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(aConcert({ layout: { rows } }))
        .expect(201);
      expect(res.body.seatCount).toBe(50_000);
      const { rows: stored } = await t.db.query(
        `SELECT count(*)::int AS seats, count(DISTINCT position)::int AS positions, max(position) AS last,
                min(number) FILTER (WHERE position = 50000) AS "lastNumber"
         FROM seats WHERE concert_id = $1`,
        [res.body.id],
      );
      expect(stored[0]).toEqual({ seats: 50_000, positions: 50_000, last: 50_000, lastNumber: 'R100-500' });
    });

    it('accepts 50,000 explicit seats in one request, above the default body limit', async () => {
      const seats = Array.from({ length: 50_000 }, (_, i) => ({
        number: `S${i + 1}`,
        price: 50_000,
        section: 'Floor',
      }));
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(aConcert({ layout: undefined, seats }))
        .expect(201);
      expect(res.body.seatCount).toBe(50_000);
    });

    it('refuses 50,001 explicit seats', async () => {
      const before = await countRows();
      const seats = Array.from({ length: 50_001 }, (_, i) => ({ number: `S${i + 1}`, price: 1 }));
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(aConcert({ layout: undefined, seats }))
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await countRows()).toEqual(before);
    });

    it('answers a body above its own 8 MiB limit with 413', async () => {
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send(aConcert({ name: 'x'.repeat(9 * 1024 * 1024) }))
        .expect(413);
      expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('admin routes', () => {
    const adminRequests = (concertId: string) => [
      (u?: TestUser) => withAuth(t.http().post('/admin/concerts'), u).send(aConcert()),
      (u?: TestUser) => withAuth(t.http().get('/admin/concerts'), u),
      (u?: TestUser) => withAuth(t.http().get(`/admin/concerts/${concertId}`), u),
      (u?: TestUser) =>
        withAuth(t.http().patch(`/admin/concerts/${concertId}`), u).send({ salesState: 'CLOSED' }),
    ];
    const withAuth = <R extends { set(headers: Record<string, string>): R }>(req: R, u?: TestUser) =>
      u ? req.set(u.headers) : req;

    it('answers a USER with 403 on every admin route and changes nothing', async () => {
      const concert = await createConcert(t);
      const before = await countRows();
      for (const send of adminRequests(concert.id)) {
        const res = await send(user).expect(403);
        expect(res.body.code).toBe('FORBIDDEN');
      }
      expect(await countRows()).toEqual(before);
      const { rows } = await t.db.query('SELECT sales_state FROM concerts WHERE id = $1', [concert.id]);
      expect(rows[0].sales_state).toBe('ON_SALE');
    });

    it('answers a request without a token with 401 on every admin route', async () => {
      const concert = await createConcert(t);
      for (const send of adminRequests(concert.id)) {
        const res = await send().expect(401);
        expect(res.body.code).toBe('UNAUTHENTICATED');
      }
    });
  });

  describe('GET /admin/concerts', () => {
    it('lists every concert in any sales state with its settings, latest start first', async () => {
      const later = await createConcert(t, { startsInDays: 400, seats: 3, salesState: 'CLOSED' });
      const sooner = await createConcert(t, { startsInDays: 399, seats: 2, salesState: 'PAUSED' });
      const res = await t.http().get('/admin/concerts').set(admin.headers).expect(200);
      const ids = res.body.concerts.map((concert: { id: string }) => concert.id);
      expect(ids.indexOf(later.id)).toBeLessThan(ids.indexOf(sooner.id));
      expect(res.body.concerts.find((concert: { id: string }) => concert.id === sooner.id)).toEqual({
        id: sooner.id,
        name: expect.any(String),
        venue: 'Test Hall',
        startsAt: expect.any(String),
        salesState: 'PAUSED',
        salesCloseAt: expect.any(String),
        salesOpenAt: null,
        preQueueOpensAt: null,
        preQueueOpensSeconds: 1800,
        queueCapacity: 7,
        queueWindowSeconds: 120,
        queueClaimSeconds: 30,
        seatCount: 2,
      });
    });
  });

  describe('GET /admin/concerts/:id', () => {
    it('counts seats by state, an expired hold as available, revenue, the queue and admissions', async () => {
      const concert = await createConcert(t, { seats: 6, capacity: 4, windowSeconds: 90, price: 7_000 });
      const [a, b, c] = await Promise.all([createUser(t), createUser(t), createUser(t)]);
      await t.db.query(
        `UPDATE seats SET status = CASE WHEN number IN ('A1', 'A2') THEN 'SOLD' ELSE 'HELD' END::"SeatStatus",
                          held_until = CASE number WHEN 'A3' THEN now() + interval '5 minutes'
                                                   WHEN 'A4' THEN now() - interval '1 second' END
         WHERE concert_id = $1 AND number IN ('A1', 'A2', 'A3', 'A4')`,
        [concert.id],
      );
      // Admitted in the last minute: tickets 1, 2 (open) and 5 (ended); not 6 (admitted 2 minutes ago) nor 4 (never).
      await t.db.query(
        `INSERT INTO queue_entries (concert_id, user_id, ticket, status, activated_at, expires_at, ended_at) VALUES
           ($1, $2, 1, 'ACTIVE', now(), now() + interval '5 minutes', NULL),
           ($1, $3, 2, 'ACTIVE', now(), now() - interval '1 second', NULL),
           ($1, $4, 3, 'WAITING', NULL, NULL, NULL),
           ($1, $2, 4, 'LEFT', NULL, NULL, now()),
           ($1, $3, 5, 'COMPLETED', now() - interval '30 seconds', now() + interval '1 minute', now()),
           ($1, $4, 6, 'EXPIRED', now() - interval '2 minutes', now() - interval '1 minute', now() - interval '30 seconds')`,
        [concert.id, a.id, b.id, c.id],
      );
      const res = await t.http().get(`/admin/concerts/${concert.id}`).set(admin.headers).expect(200);
      expect(res.body).toEqual({
        id: concert.id,
        name: expect.any(String),
        venue: 'Test Hall',
        startsAt: expect.any(String),
        salesState: 'ON_SALE',
        salesCloseAt: expect.any(String),
        salesOpenAt: null,
        preQueueOpensAt: null,
        preQueueOpensSeconds: 1800,
        queueCapacity: 4,
        queueWindowSeconds: 90,
        queueClaimSeconds: 30,
        seatCount: 6,
        seatCounts: { available: 3, held: 1, sold: 2 },
        revenue: 14_000,
        queueLength: 1,
        activeUsers: 1,
        admittedLastMinute: 3,
        preQueueLength: 0,
        drawnAt: null,
      });
    });

    it('answers an unknown concert with 404 CONCERT_NOT_FOUND and a malformed id with 400', async () => {
      const missing = await t
        .http()
        .get('/admin/concerts/00000000-0000-4000-8000-000000000000')
        .set(admin.headers)
        .expect(404);
      expect(missing.body.code).toBe('CONCERT_NOT_FOUND');
      const malformed = await t.http().get('/admin/concerts/not-a-uuid').set(admin.headers).expect(400);
      expect(malformed.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('PATCH /admin/concerts/:id', () => {
    it('changes only the given settings', async () => {
      const concert = await createConcert(t, { seats: 2, capacity: 4, windowSeconds: 90 });
      const res = await t
        .http()
        .patch(`/admin/concerts/${concert.id}`)
        .set(admin.headers)
        .send({ queueCapacity: 50 })
        .expect(200);
      expect(res.body).toMatchObject({
        id: concert.id,
        salesState: 'ON_SALE',
        queueCapacity: 50,
        queueWindowSeconds: 90,
        queueClaimSeconds: 30,
        seatCount: 2,
      });
      const again = await t
        .http()
        .patch(`/admin/concerts/${concert.id}`)
        .set(admin.headers)
        .send({ salesState: 'CLOSED', queueWindowSeconds: 30 })
        .expect(200);
      expect(again.body).toMatchObject({ salesState: 'CLOSED', queueCapacity: 50, queueWindowSeconds: 30 });
    });

    it('shows a paused concert as PAUSED to fans and takes it out of the available dates', async () => {
      const concert = await createConcert(t);
      await t
        .http()
        .patch(`/admin/concerts/${concert.id}`)
        .set(admin.headers)
        .send({ salesState: 'PAUSED' })
        .expect(200);
      const list = await t.http().get('/concerts').set(user.headers).expect(200);
      const dates = await t.http().get('/reservation/available-dates').set(user.headers).expect(200);
      expect(
        list.body.queueEntries.find((entry: { concertId: string }) => entry.concertId === concert.id),
      ).toMatchObject({ salesState: 'PAUSED' });
      await t
        .http()
        .patch(`/admin/concerts/${concert.id}`)
        .set(admin.headers)
        .send({ salesState: 'CLOSED' })
        .expect(200);
      const afterClose = await t.http().get('/concerts').set(user.headers).expect(200);
      expect(
        afterClose.body.queueEntries.map((entry: { concertId: string }) => entry.concertId),
      ).not.toContain(concert.id);
      expect(dates.body.availableDates.map((entry: { concertId: string }) => entry.concertId)).not.toContain(
        concert.id,
      );
    });

    it.each([
      ['an empty body', {}],
      ['only nulls', { salesState: null }],
      ['an unknown sales state', { salesState: 'SOLD_OUT' }],
      ['a capacity of zero', { queueCapacity: 0 }],
      ['a capacity above 100,000', { queueCapacity: 100_001 }],
      ['a window of zero seconds', { queueWindowSeconds: 0 }],
      ['a field that cannot be changed', { name: 'Renamed' }],
    ])('answers %s with 400 and changes nothing', async (_case, body) => {
      const concert = await createConcert(t, { capacity: 4, windowSeconds: 90 });
      const res = await t
        .http()
        .patch(`/admin/concerts/${concert.id}`)
        .set(admin.headers)
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      const { rows } = await t.db.query(
        'SELECT name, sales_state, queue_capacity, queue_window_seconds FROM concerts WHERE id = $1',
        [concert.id],
      );
      expect(rows[0]).toMatchObject({ sales_state: 'ON_SALE', queue_capacity: 4, queue_window_seconds: 90 });
    });

    it('answers an unknown concert with 404 CONCERT_NOT_FOUND', async () => {
      const res = await t
        .http()
        .patch('/admin/concerts/00000000-0000-4000-8000-000000000000')
        .set(admin.headers)
        .send({ salesState: 'PAUSED' })
        .expect(404);
      expect(res.body.code).toBe('CONCERT_NOT_FOUND');
    });
  });

  describe('GET /reservation/available-dates', () => {
    const availableIds = async () => {
      const res = await t.http().get('/reservation/available-dates').set(user.headers).expect(200);
      return (res.body.availableDates as { concertId: string }[]).map((entry) => entry.concertId);
    };

    it('lists upcoming concerts on sale with a free seat, soonest first', async () => {
      const later = await createConcert(t, { startsInDays: 200 });
      const sooner = await createConcert(t, { startsInDays: 100 });
      const ids = await availableIds();
      expect(ids.indexOf(sooner.id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(later.id)).toBeGreaterThan(ids.indexOf(sooner.id));
    });

    it('leaves out a sold-out concert', async () => {
      const concert = await createConcert(t, { seats: 3 });
      await t.db.query(`UPDATE seats SET status = 'SOLD' WHERE concert_id = $1`, [concert.id]);
      expect(await availableIds()).not.toContain(concert.id);
    });

    it('leaves out a concert that has already started', async () => {
      const concert = await createConcert(t, { startsInDays: -1 });
      expect(await availableIds()).not.toContain(concert.id);
      const list = await t.http().get('/concerts').set(user.headers).expect(200);
      expect(list.body.queueEntries.map((entry: { concertId: string }) => entry.concertId)).not.toContain(
        concert.id,
      );
    });

    it('leaves out concerts that are paused or closed', async () => {
      const paused = await createConcert(t, { salesState: 'PAUSED' });
      const closed = await createConcert(t, { salesState: 'CLOSED' });
      const ids = await availableIds();
      expect(ids).not.toContain(paused.id);
      expect(ids).not.toContain(closed.id);
    });

    it('counts an expired hold as available and a live hold as taken', async () => {
      const expired = await createConcert(t, { seats: 2 });
      const live = await createConcert(t, { seats: 2 });
      await t.db.query(
        `UPDATE seats SET status = 'HELD',
                          held_until = CASE WHEN concert_id = $1 AND number = 'A1' THEN now() - interval '1 second'
                                            ELSE now() + interval '5 minutes' END
         WHERE concert_id IN ($1, $2)`,
        [expired.id, live.id],
      );
      const ids = await availableIds();
      expect(ids).toContain(expired.id);
      expect(ids).not.toContain(live.id);
    });

    it('answers without a token with 401', async () => {
      await t.http().get('/reservation/available-dates').expect(401);
      await t.http().get('/concerts').expect(401);
    });
  });
});
