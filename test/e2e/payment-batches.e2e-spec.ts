import { jest } from '@jest/globals';
import { PaymentsRepository } from '../../src/payments/payments.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

/** The repository's statements of a batch of payments (private: spied on to hold or fail them). */
type BatchStatements = Record<'payBatch' | 'paidInOneStatement', (...args: unknown[]) => Promise<unknown>>;

const PRICE = 10_000;

/**
 * Payments without an Idempotency-Key that arrive while a payment statement runs are answered
 * together by the next one: each must get the answer it would have had alone, in arrival order.
 */
describe('Payments answered in one batch', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 200 });
  });
  afterAll(() => t.close());

  async function activeUser(concertId: string, points: number): Promise<TestUser> {
    const user = await createUser(t);
    const res = await t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
    expect(res.body.status).toBe('ACTIVE');
    if (points) await t.http().patch('/points/charge').set(user.headers).send({ amount: points }).expect(200);
    return user;
  }

  async function hold(user: TestUser, concertId: string, seatIds: string[]): Promise<string[]> {
    const res = await t
      .http()
      .post('/reservation/seat')
      .set(user.headers)
      .send({ concertId, seatIds })
      .expect(201);
    return res.body.reservations.map((reservation: { id: string }) => reservation.id);
  }

  const pay = (user: TestUser, reservationIds: string[]) =>
    t.http().post('/payment').set(user.headers).send({ reservationIds });

  /** Balance and ledger entries of each user, from the database. */
  async function accounts(users: TestUser[]) {
    const { rows } = await t.db.query<{ user_id: string; balance: number; ledger: number[] }>(
      `SELECT w.user_id, w.balance,
              coalesce((SELECT array_agg(l.amount ORDER BY l.created_at) FROM point_ledger l
                        WHERE l.user_id = w.user_id AND l.type = 'PAYMENT'), '{}') AS ledger
       FROM point_wallets w WHERE w.user_id = ANY($1::uuid[])`,
      [users.map((user) => user.id)],
    );
    return Object.fromEntries(rows.map((row) => [row.user_id, [row.balance, row.ledger]]));
  }

  /**
   * Sends `payments` one after the other, each once the one before has arrived (so they arrive
   * in this order); the first statement waits until all have arrived, so the rest go out together.
   */
  async function sendTogether(payments: (() => ReturnType<typeof pay>)[]) {
    const repo = t.app.get(PaymentsRepository);
    const arrivals = jest.spyOn(repo, 'payBatched');
    const batches = jest.spyOn(repo as unknown as BatchStatements, 'payBatch');
    const original = (PaymentsRepository.prototype as unknown as BatchStatements).payBatch;
    batches.mockImplementationOnce(async function (this: unknown, ...args) {
      await waitFor(async () => arrivals.mock.calls.length === payments.length, 10_000, 5);
      return original.apply(this, args);
    });
    const sent: Promise<Awaited<ReturnType<typeof pay>>>[] = [];
    for (const send of payments) {
      const arrived = sent.length;
      // A supertest request goes out once something waits for it.
      sent.push(send().then((res) => res));
      await waitFor(async () => arrivals.mock.calls.length > arrived, 10_000, 2);
    }
    const responses = await Promise.all(sent);
    const batchSizes = batches.mock.calls.map((call) => (call[1] as unknown[]).length);
    arrivals.mockRestore();
    batches.mockRestore();
    return { responses, batchSizes };
  }

  /**
   * Eight payments: the first goes out alone, the other seven as one batch. A buyer pays two
   * seats, then one of them again, then a third; a thief pays another's hold before its owner
   * does; one buyer lacks points; one hold has lapsed.
   */
  async function mixedPayments() {
    const concert = await createConcert(t, { seats: 10, price: PRICE });
    const [first, buyer, owner, poor, late] = await Promise.all([
      activeUser(concert.id, PRICE),
      activeUser(concert.id, 3 * PRICE),
      activeUser(concert.id, 2 * PRICE),
      activeUser(concert.id, PRICE / 2),
      activeUser(concert.id, 5 * PRICE),
    ]);
    const thief = await activeUser(concert.id, 5 * PRICE);
    const s = concert.seatIds;
    const firstHold = await hold(first, concert.id, [s[0]!]);
    const [bought1, bought2, bought3] = await hold(buyer, concert.id, [s[1]!, s[2]!, s[3]!]);
    const owned = await hold(owner, concert.id, [s[4]!]);
    const poorHold = await hold(poor, concert.id, [s[5]!]);
    const lapsed = await hold(late, concert.id, [s[6]!]);
    await t.db.query(
      `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`,
      [lapsed],
    );
    const payments: [TestUser, string[]][] = [
      [first, firstHold],
      [buyer, [bought1!, bought2!]],
      [thief, owned],
      [buyer, [bought2!]],
      [poor, poorHold],
      [late, lapsed],
      [owner, owned],
      [buyer, [bought3!]],
    ];
    const expected = [
      [200, PRICE],
      [200, 2 * PRICE],
      [403, 'RESERVATION_FORBIDDEN', owned],
      [409, 'RESERVATION_ALREADY_PAID', [bought2]],
      [402, 'INSUFFICIENT_POINTS', { balance: PRICE / 2, required: PRICE }],
      [410, 'RESERVATION_EXPIRED', lapsed],
      [200, PRICE],
      [200, PRICE],
    ];
    const expectedAccounts = {
      [first.id]: [0, [-PRICE]],
      [buyer.id]: [0, [-2 * PRICE, -PRICE]],
      [owner.id]: [PRICE, [-PRICE]],
      [poor.id]: [PRICE / 2, []],
      [late.id]: [5 * PRICE, []],
      [thief.id]: [5 * PRICE, []],
    };
    const users = [first, buyer, owner, poor, late, thief];
    return { concert, payments, expected, expectedAccounts, users };
  }

  /** What matters of a payment's answer: its status and total, or its code and what it names. */
  const answerOf = (res: Awaited<ReturnType<typeof pay>>) =>
    res.status === 200
      ? [200, res.body.totalAmount]
      : res.body.code === 'INSUFFICIENT_POINTS'
        ? [res.status, res.body.code, res.body.details]
        : [res.status, res.body.code, res.body.details?.reservationIds];

  /** Each seat's status and its CONFIRMED reservations, in the concert's seat order. */
  async function sales(seatIds: string[]) {
    const { rows } = await t.db.query<{ seat_status: string; confirmed: number }>(
      `SELECT s.status::text AS seat_status,
              (SELECT count(*)::int FROM reservations r WHERE r.seat_id = s.id AND r.status = 'CONFIRMED') AS confirmed
       FROM seats s WHERE s.id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], s.id)`,
      [seatIds],
    );
    return rows.map((row) => `${row.seat_status}/${row.confirmed}`);
  }

  const expectedSales = [
    'SOLD/1',
    'SOLD/1',
    'SOLD/1',
    'SOLD/1',
    'SOLD/1',
    'HELD/0',
    'HELD/0',
    'AVAILABLE/0',
    'AVAILABLE/0',
    'AVAILABLE/0',
  ];

  it('answers a batch of payments with mixed outcomes each as alone, in arrival order', async () => {
    const { concert, payments, expected, expectedAccounts, users } = await mixedPayments();

    const { responses, batchSizes } = await sendTogether(
      payments.map(
        ([user, ids]) =>
          () =>
            pay(user, ids),
      ),
    );

    expect(batchSizes).toEqual([1, 7]);
    expect(responses.map(answerOf)).toEqual(expected);
    expect(await accounts(users)).toEqual(expectedAccounts);
    expect(await sales(concert.seatIds)).toEqual(expectedSales);
  });

  it('answers each payment of a failed batch statement alone, one after the other in arrival order', async () => {
    const { concert, payments, expected, expectedAccounts, users } = await mixedPayments();
    const repo = t.app.get(PaymentsRepository);
    const statement = jest
      .spyOn(repo as unknown as BatchStatements, 'paidInOneStatement')
      .mockRejectedValueOnce(new Error('deadlock detected'));

    const { responses, batchSizes } = await sendTogether(
      payments.map(
        ([user, ids]) =>
          () =>
            pay(user, ids),
      ),
    );
    statement.mockRestore();

    expect(batchSizes).toEqual([1, 7]);
    expect(responses.map(answerOf)).toEqual(expected);
    expect(await accounts(users)).toEqual(expectedAccounts);
    expect(await sales(concert.seatIds)).toEqual(expectedSales);
  });

  it('answers a payment the database refused in a batch statement (its RAISE) alone', async () => {
    const { concert, payments, expected, users } = await mixedPayments();
    // A seat the buyer's first payment holds, turned AVAILABLE behind its back: pay_reservations
    // raises, the batch statement rolls back as a whole, and only that payment fails when alone.
    const s = concert.seatIds;
    await t.db.query(`UPDATE seats SET status = 'AVAILABLE', held_until = NULL WHERE id = $1`, [s[1]]);

    const { responses, batchSizes } = await sendTogether(
      payments.map(
        ([user, ids]) =>
          () =>
            pay(user, ids),
      ),
    );

    expect(batchSizes).toEqual([1, 7]);
    const answers = responses.map(answerOf);
    expect(answers[1]![0]).toBe(500);
    // Its seats were never paid: the buyer's later payment of one of them succeeds.
    expect(answers.filter((_answer, i) => i !== 1 && i !== 3)).toEqual(
      expected.filter((_answer, i) => i !== 1 && i !== 3),
    );
    expect(answers[3]).toEqual([200, PRICE]);
    const buyer = payments[1]![0];
    expect((await accounts(users))[buyer.id]).toEqual([PRICE, [-PRICE, -PRICE]]);
  });

  it('sells no seat twice and adds up the points when 40 buyers pay twice in parallel', async () => {
    const concert = await createConcert(t, { seats: 80, price: PRICE });
    const buyers = await Promise.all(Array.from({ length: 40 }, () => activeUser(concert.id, 3 * PRICE)));
    const held = await Promise.all(
      buyers.map((buyer, i) =>
        hold(buyer, concert.id, [concert.seatIds[2 * i]!, concert.seatIds[2 * i + 1]!]),
      ),
    );

    const responses = await Promise.all(
      buyers.flatMap((buyer, i) => [pay(buyer, held[i]!), pay(buyer, held[i]!)]),
    );

    for (let i = 0; i < buyers.length; i++) {
      const statuses = [responses[2 * i]!.status, responses[2 * i + 1]!.status].sort();
      expect(statuses).toEqual([200, 409]);
    }
    const { rows } = await t.db.query<{ sold: number; confirmed: number; payments: number; spent: number }>(
      `SELECT (SELECT count(*)::int FROM seats WHERE concert_id = $1 AND status = 'SOLD') AS sold,
              (SELECT count(*)::int FROM reservations WHERE concert_id = $1 AND status = 'CONFIRMED') AS confirmed,
              (SELECT count(*)::int FROM payments WHERE user_id = ANY($2::uuid[])) AS payments,
              (SELECT sum(3 * ${PRICE} - balance)::int FROM point_wallets WHERE user_id = ANY($2::uuid[])) AS spent`,
      [concert.id, buyers.map((buyer) => buyer.id)],
    );
    expect(rows[0]).toEqual({ sold: 80, confirmed: 80, payments: 40, spent: 80 * PRICE });
    const ledgers = await accounts(buyers);
    for (const buyer of buyers) expect(ledgers[buyer.id]).toEqual([PRICE, [-2 * PRICE]]);
  });
});
