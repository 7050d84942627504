import { createConcert, type ConcertFixture } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const enterQueue = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);

async function activeUser(t: TestApp, concertId: string, points = 0): Promise<TestUser> {
  const user = await createUser(t);
  expect((await enterQueue(t, user, concertId)).body.status).toBe('ACTIVE');
  if (points) await t.http().patch('/points/charge').set(user.headers).send({ amount: points }).expect(200);
  return user;
}

async function holdSeats(
  t: TestApp,
  user: TestUser,
  concertId: string,
  seatIds: string[],
): Promise<string[]> {
  const res = await t
    .http()
    .post('/reservation/seat')
    .set(user.headers)
    .send({ concertId, seatIds })
    .expect(201);
  return res.body.reservations.map((reservation: { id: string }) => reservation.id);
}

const pay = (t: TestApp, user: TestUser, reservationIds: unknown, idempotencyKey?: string) => {
  const req = t.http().post('/payment').set(user.headers);
  if (idempotencyKey) void req.set('Idempotency-Key', idempotencyKey);
  return req.send({ reservationIds });
};

/** Everything a payment may change, for "nothing changed" checks. */
async function snapshot(t: TestApp, user: TestUser, concert: ConcertFixture) {
  const { rows } = await t.db.query(
    `SELECT (SELECT balance FROM point_wallets WHERE user_id = $1) AS balance,
            (SELECT count(*)::int FROM point_ledger WHERE user_id = $1) AS ledger,
            (SELECT count(*)::int FROM payments WHERE user_id = $1) AS payments,
            (SELECT json_agg(json_build_array(id, status, payment_id) ORDER BY id) FROM reservations WHERE user_id = $1) AS reservations,
            (SELECT json_agg(json_build_array(id, status, held_until) ORDER BY id) FROM seats WHERE concert_id = $2) AS seats,
            (SELECT json_agg(json_build_array(user_id, status) ORDER BY ticket) FROM queue_entries WHERE concert_id = $2) AS queue`,
    [user.id, concert.id],
  );
  return rows[0];
}

const balanceOf = async (t: TestApp, user: TestUser) =>
  (await t.http().get('/points').set(user.headers).expect(200)).body.points;

describe('Payments', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
  });
  afterAll(() => t.close());

  describe('the whole purchase', () => {
    it('goes from registering to confirmed seats, and the next user in the queue is admitted', async () => {
      const concert = await createConcert(t, { seats: 3, price: 40_000, capacity: 1 });
      const registered = await t
        .http()
        .post('/auth/register')
        .send({ email: `buyer-${Date.now()}@example.com`, password: 'correct horse battery' })
        .expect(201);
      const buyer: TestUser = {
        id: registered.body.userId,
        email: '',
        role: 'USER',
        accessToken: registered.body.accessToken,
        headers: { Authorization: `Bearer ${registered.body.accessToken}` },
      };
      const next = await createUser(t);

      await t.http().patch('/points/charge').set(buyer.headers).send({ amount: 100_000 }).expect(200);
      expect((await enterQueue(t, buyer, concert.id)).body.status).toBe('ACTIVE');
      expect((await enterQueue(t, next, concert.id)).body.status).toBe('WAITING');
      const seatMap = await t.http().get(`/reservation/${concert.id}/seats`).set(buyer.headers).expect(200);
      const seatIds = seatMap.body.seats.slice(0, 2).map((seat: { id: string }) => seat.id);
      const reservationIds = await holdSeats(t, buyer, concert.id, seatIds);

      const paid = await pay(t, buyer, reservationIds).expect(200);

      expect(paid.body).toEqual({
        paymentId: expect.any(String),
        reservationIds,
        totalAmount: 80_000,
        status: 'COMPLETED',
        createdAt: expect.any(String),
      });
      const paymentId = paid.body.paymentId as string;
      expect(await balanceOf(t, buyer)).toBe(20_000);
      const history = await t.http().get('/points/history').set(buyer.headers).expect(200);
      expect(history.body.history[0]).toMatchObject({
        type: 'PAYMENT',
        amount: -80_000,
        balanceAfter: 20_000,
        paymentId,
      });
      const list = await t.http().get('/reservation').set(buyer.headers).expect(200);
      expect(list.body.reservations.map((r: { status: string }) => r.status)).toEqual([
        'CONFIRMED',
        'CONFIRMED',
      ]);
      const receipt = await t.http().get(`/payment/${paymentId}`).set(buyer.headers).expect(200);
      expect(receipt.body).toMatchObject({
        ...paid.body,
        reservationIds: expect.arrayContaining(reservationIds),
      });
      expect(
        receipt.body.reservations.map((r: { seatNumber: string; status: string }) => [
          r.seatNumber,
          r.status,
        ]),
      ).toEqual([
        ['A1', 'CONFIRMED'],
        ['A2', 'CONFIRMED'],
      ]);

      // The buyer's window ended with the payment, and the admit that follows it (the sweeper
      // is off here) gives the place to the waiting user.
      const ended = await t.http().get(`/concerts/${concert.id}/queue`).set(buyer.headers).expect(410);
      expect(ended.body).toMatchObject({ code: 'QUEUE_ENTRY_ENDED', details: { reason: 'PAID' } });
      await waitFor(
        async () =>
          (await t.http().get(`/concerts/${concert.id}/queue`).set(next.headers).expect(200)).body.status ===
          'ACTIVE',
        1_000,
      );
      const seen = await t.http().get(`/reservation/${concert.id}/seats`).set(next.headers).expect(200);
      expect(seen.body.seats.map((seat: { status: string }) => seat.status)).toEqual([
        'SOLD',
        'SOLD',
        'AVAILABLE',
      ]);
      const { rows } = await t.db.query(`SELECT status, held_until FROM seats WHERE id = ANY($1)`, [seatIds]);
      expect(rows).toEqual([
        { status: 'SOLD', held_until: null },
        { status: 'SOLD', held_until: null },
      ]);
    });

    it('pays holds in two concerts at once and ends both windows', async () => {
      const [first, second] = [
        await createConcert(t, { price: 1_000 }),
        await createConcert(t, { price: 2_000 }),
      ];
      const user = await activeUser(t, first.id, 10_000);
      await enterQueue(t, user, second.id);
      const reservationIds = [
        ...(await holdSeats(t, user, first.id, [first.seatIds[0]!])),
        ...(await holdSeats(t, user, second.id, [second.seatIds[0]!])),
      ];

      expect((await pay(t, user, reservationIds).expect(200)).body.totalAmount).toBe(3_000);

      // Both windows are over when the payment answers: it marked the entries itself.
      const { rows } = await t.db.query(
        `SELECT expires_at <= now() AS over, ended_at IS NOT NULL AS ended FROM queue_entries WHERE user_id = $1`,
        [user.id],
      );
      expect(rows).toEqual([
        { over: true, ended: true },
        { over: true, ended: true },
      ]);
      await t.http().get(`/reservation/${second.id}/seats`).set(user.headers).expect(403);
      // The admit after the payment ends both entries as COMPLETED (the sweeper is off here).
      await waitFor(async () => {
        const ended = await t.db.query(`SELECT status FROM queue_entries WHERE user_id = $1`, [user.id]);
        return ended.rows.every((row: { status: string }) => row.status === 'COMPLETED');
      }, 1_000);
    });

    it('gives every place a burst of payments frees to a waiting user, within capacity', async () => {
      const concert = await createConcert(t, { seats: 12, price: 1_000, capacity: 6 });
      const buyers = await Promise.all(Array.from({ length: 6 }, () => activeUser(t, concert.id, 10_000)));
      const waiting = await Promise.all(Array.from({ length: 6 }, () => createUser(t)));
      for (const user of waiting) await enterQueue(t, user, concert.id);
      const holds = await Promise.all(
        buyers.map((buyer, i) => holdSeats(t, buyer, concert.id, [concert.seatIds[i]!])),
      );

      await Promise.all(buyers.map((buyer, i) => pay(t, buyer, holds[i]!).expect(200)));

      // Every place goes to a waiting user through the coalesced admits, and the counter
      // follows the entries.
      await waitFor(async () => {
        const { rows } = await t.db.query(
          `SELECT count(*) FILTER (WHERE e.status = 'ACTIVE' AND e.user_id = ANY($2))::int AS admitted,
                  count(*) FILTER (WHERE e.status = 'COMPLETED')::int AS completed
           FROM queue_entries e WHERE e.concert_id = $1`,
          [concert.id, waiting.map((user) => user.id)],
        );
        return rows[0].admitted === 6 && rows[0].completed === 6;
      }, 2_000);
      const { rows } = await t.db.query(
        `SELECT q.active_count, (SELECT count(*)::int FROM queue_entries e WHERE e.concert_id = q.concert_id AND e.status = 'ACTIVE') AS active
         FROM queues q WHERE q.concert_id = $1`,
        [concert.id],
      );
      expect(rows).toEqual([{ active_count: 6, active: 6 }]);
    });
  });

  describe('POST /payment', () => {
    it('answers 410 for a hold that expired, by the database clock, and charges nothing', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const user = await activeUser(t, concert.id, 50_000);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);
      await t.db.query(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1;`, [
        reservationIds[1],
      ]);
      await t.db.query(`UPDATE seats SET held_until = now() - interval '1 second' WHERE id = $1`, [
        concert.seatIds[1],
      ]);
      const before = await snapshot(t, user, concert);

      const res = await pay(t, user, reservationIds).expect(410);

      expect(res.body).toMatchObject({
        code: 'RESERVATION_EXPIRED',
        details: { reservationIds: [reservationIds[1]] },
      });
      expect(await snapshot(t, user, concert)).toEqual(before);
      expect(await balanceOf(t, user)).toBe(50_000);
    });

    it('answers 410 for a cancelled reservation', async () => {
      const concert = await createConcert(t, { seats: 1 });
      const user = await activeUser(t, concert.id, 50_000);
      const [reservationId] = await holdSeats(t, user, concert.id, concert.seatIds);
      await t.http().delete(`/reservation/${reservationId}`).set(user.headers).expect(204);
      expect((await pay(t, user, [reservationId]).expect(410)).body.code).toBe('RESERVATION_EXPIRED');
    });

    it('answers 402 when the balance is short, and nothing changes', async () => {
      const concert = await createConcert(t, { seats: 2, price: 30_000 });
      const user = await activeUser(t, concert.id, 59_999);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);
      const before = await snapshot(t, user, concert);

      const res = await pay(t, user, reservationIds).expect(402);

      expect(res.body).toMatchObject({
        code: 'INSUFFICIENT_POINTS',
        details: { balance: 59_999, required: 60_000 },
      });
      expect(await snapshot(t, user, concert)).toEqual(before);
      // Topped up, the same holds can still be paid.
      await t.http().patch('/points/charge').set(user.headers).send({ amount: 1 }).expect(200);
      await pay(t, user, reservationIds).expect(200);
      expect(await balanceOf(t, user)).toBe(0);
    });

    it('answers 402 to a user who never charged', async () => {
      const concert = await createConcert(t, { seats: 1 });
      const user = await activeUser(t, concert.id);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);
      expect((await pay(t, user, reservationIds).expect(402)).body.details).toEqual({
        balance: 0,
        required: 10_000,
      });
    });

    it('never overdraws: of 4 parallel payments with points for 2, exactly 2 go through', async () => {
      const concert = await createConcert(t, { seats: 4 });
      const user = await activeUser(t, concert.id, 20_000);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);

      const responses = await Promise.all(reservationIds.map((id) => pay(t, user, [id])));

      expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 402, 402]);
      expect(await balanceOf(t, user)).toBe(0);
      const { rows } = await t.db.query<{ amount: number; balance_after: number }>(
        `SELECT amount, balance_after FROM point_ledger WHERE user_id = $1 AND type = 'PAYMENT' ORDER BY created_at`,
        [user.id],
      );
      expect(rows).toEqual([
        { amount: -10_000, balance_after: 10_000 },
        { amount: -10_000, balance_after: 0 },
      ]);
    });

    it('pays seats that cost nothing without touching the wallet or the ledger', async () => {
      const concert = await createConcert(t, { seats: 1, price: 0 });
      const user = await activeUser(t, concert.id);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);

      const res = await pay(t, user, reservationIds).expect(200);

      expect(res.body).toMatchObject({ totalAmount: 0, status: 'COMPLETED' });
      const { rows } = await t.db.query(
        `SELECT (SELECT count(*)::int FROM point_ledger WHERE user_id = $1) AS ledger,
                (SELECT count(*)::int FROM point_wallets WHERE user_id = $1) AS wallets`,
        [user.id],
      );
      expect(rows[0]).toEqual({ ledger: 0, wallets: 0 });
    });

    it('lets exactly one of 10 parallel payments of the same reservations through and charges once', async () => {
      const concert = await createConcert(t, { seats: 2, price: 10_000 });
      const user = await activeUser(t, concert.id, 100_000);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);

      const responses = await Promise.all(Array.from({ length: 10 }, () => pay(t, user, reservationIds)));

      expect(responses.filter((res) => res.status === 200)).toHaveLength(1);
      const losers = responses.filter((res) => res.status !== 200);
      expect(losers.map((res) => [res.status, res.body.code])).toEqual(
        losers.map(() => [409, 'RESERVATION_ALREADY_PAID']),
      );
      expect(await balanceOf(t, user)).toBe(80_000);
      const { rows } = await t.db.query(
        `SELECT (SELECT count(*)::int FROM payments WHERE user_id = $1) AS payments,
                (SELECT count(*)::int FROM point_ledger WHERE user_id = $1 AND type = 'PAYMENT') AS debits`,
        [user.id],
      );
      expect(rows[0]).toEqual({ payments: 1, debits: 1 });
    });

    it('charges once for parallel requests with one Idempotency-Key, and a retry gets the same body', async () => {
      const concert = await createConcert(t, { seats: 1, price: 10_000 });
      const user = await activeUser(t, concert.id, 100_000);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);

      const responses = await Promise.all(
        Array.from({ length: 10 }, () => pay(t, user, reservationIds, 'pay-once')),
      );

      const succeeded = responses.filter((res) => res.status === 200);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      expect(new Set(succeeded.map((res) => res.body.paymentId)).size).toBe(1);
      const others = responses.filter((res) => res.status !== 200);
      expect(others.map((res) => [res.status, res.body.code])).toEqual(
        others.map(() => [409, 'IDEMPOTENCY_KEY_IN_USE']),
      );
      const retry = await pay(t, user, reservationIds, 'pay-once').expect(200);
      expect(retry.body).toEqual(succeeded[0]!.body);
      expect(await balanceOf(t, user)).toBe(90_000);
      expect((await pay(t, user, reservationIds, 'another-key').expect(409)).body.code).toBe(
        'RESERVATION_ALREADY_PAID',
      );
      expect((await pay(t, user, [UNKNOWN_ID], 'pay-once').expect(422)).body.code).toBe(
        'IDEMPOTENCY_KEY_REUSED',
      );
    });

    it('frees the Idempotency-Key of a failed payment, so the retry after a top-up goes through', async () => {
      const concert = await createConcert(t, { seats: 1, price: 10_000 });
      const user = await activeUser(t, concert.id, 5_000);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);
      await pay(t, user, reservationIds, 'top-up-first').expect(402);
      await t.http().patch('/points/charge').set(user.headers).send({ amount: 5_000 }).expect(200);
      await pay(t, user, reservationIds, 'top-up-first').expect(200);
    });

    it('answers 403 for another user’s reservation, 404 before that for an unknown one, and changes nothing', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const owner = await activeUser(t, concert.id, 50_000);
      const thief = await activeUser(t, concert.id, 50_000);
      const [theirs] = await holdSeats(t, owner, concert.id, [concert.seatIds[0]!]);
      const [mine] = await holdSeats(t, thief, concert.id, [concert.seatIds[1]!]);
      const before = [await snapshot(t, owner, concert), await snapshot(t, thief, concert)];

      const forbidden = await pay(t, thief, [mine, theirs]).expect(403);
      expect(forbidden.body).toMatchObject({
        code: 'RESERVATION_FORBIDDEN',
        details: { reservationIds: [theirs] },
      });
      const unknown = await pay(t, thief, [theirs, UNKNOWN_ID]).expect(404);
      expect(unknown.body).toMatchObject({
        code: 'RESERVATION_NOT_FOUND',
        details: { reservationIds: [UNKNOWN_ID] },
      });

      expect([await snapshot(t, owner, concert), await snapshot(t, thief, concert)]).toEqual(before);
    });

    it.each<[string, (ids: string[]) => unknown]>([
      ['an id that is not a uuid', () => ['r1']],
      ['an empty list', () => []],
      ['a repeated id', (ids) => [ids[0], ids[0]]],
      [
        'more than 20 ids',
        (ids) => [
          ids[0],
          ...Array.from({ length: 20 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`),
        ],
      ],
      ['a string instead of a list', (ids) => ids[0]],
    ])('answers 400 for %s and changes nothing', async (_case, reservationIdsFor) => {
      const concert = await createConcert(t, { seats: 1 });
      const user = await activeUser(t, concert.id, 50_000);
      const reservationIds = await holdSeats(t, user, concert.id, concert.seatIds);
      const before = await snapshot(t, user, concert);

      const res = await pay(t, user, reservationIdsFor(reservationIds)).expect(400);

      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(await snapshot(t, user, concert)).toEqual(before);
    });
  });

  describe('GET /payment/:id', () => {
    it('shows a payment only to its payer: 404 for anyone else and for an unknown id', async () => {
      const concert = await createConcert(t, { seats: 1 });
      const payer = await activeUser(t, concert.id, 50_000);
      const other = await createUser(t);
      const paid = await pay(t, payer, await holdSeats(t, payer, concert.id, concert.seatIds)).expect(200);

      expect(
        (await t.http().get(`/payment/${paid.body.paymentId}`).set(other.headers).expect(404)).body.code,
      ).toBe('PAYMENT_NOT_FOUND');
      await t.http().get(`/payment/${UNKNOWN_ID}`).set(payer.headers).expect(404);
      await t.http().get('/payment/not-a-uuid').set(payer.headers).expect(400);
    });
  });
});
