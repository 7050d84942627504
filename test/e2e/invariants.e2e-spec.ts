import { createConcert, type ConcertFixture } from '../factories/concert.factory.js';
import { checkInvariants } from '../helpers/invariants.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The checker that the chaos and fault tests rely on must see every kind of damage. Each
 * case here breaks one rule behind the app's back (dropping the constraint that would stop
 * it where there is one) and expects the checker to name that rule.
 */
describe('checkInvariants', () => {
  let t: TestApp;
  let user: TestUser;
  let concert: ConcertFixture;

  const brokenRules = async (options = {}) => (await checkInvariants(t.db, options)).map(({ rule }) => rule);
  const insertReservation = (
    seatId: string,
    status: string,
    expiresAt: string,
    paymentId: string | null = null,
  ) =>
    t.db.query(
      `INSERT INTO reservations (user_id, concert_id, seat_id, price, status, expires_at, payment_id)
       VALUES ($1, $2, $3, 1000, $4, ${expiresAt}, $5) RETURNING id`,
      [user.id, concert.id, seatId, status, paymentId],
    );

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
    user = await createUser(t);
    concert = await createConcert(t, { seats: 12, capacity: 2, price: 1_000 });
  });
  afterAll(() => t.close());

  beforeEach(async () => {
    // Each case starts from a sound state: the app's own operations keep every rule.
    await t.db.query(`TRUNCATE reservations, payments, point_ledger, point_wallets, queue_entries CASCADE`);
    await t.db.query(`UPDATE seats SET status = 'AVAILABLE', held_until = NULL`);
    await t.db.query(`UPDATE queues SET last_ticket = 0, activated_count = 0, active_count = 0`);
    await t.db.query(`UPDATE concerts SET queue_capacity = 2, sales_state = 'ON_SALE'`);
    await t.http().patch('/points/charge').set(user.headers).send({ amount: 5_000 }).expect(200);
    await t.http().post(`/concerts/${concert.id}/queue-entry`).set(user.headers).expect(201);
    const held = await t
      .http()
      .post('/reservation/seat')
      .set(user.headers)
      .send({ concertId: concert.id, seatIds: [concert.seatIds[0]] })
      .expect(201);
    await t
      .http()
      .post('/payment')
      .set(user.headers)
      .send({ reservationIds: [held.body.reservations[0].id] })
      .expect(200);
    expect(await brokenRules({ sweepIntervalMs: 1_000 })).toEqual([]);
  });

  it('sees a wallet that does not match its ledger', async () => {
    await t.db.query('UPDATE point_wallets SET balance = balance + 1 WHERE user_id = $1', [user.id]);
    expect(await brokenRules()).toEqual([
      'a wallet balance equals the sum of its ledger and is not negative',
    ]);
  });

  it('sees a seat sold without a paid reservation, and one held without a hold', async () => {
    await t.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [concert.seatIds[1]]);
    await t.db.query(
      `UPDATE seats SET status = 'HELD', held_until = now() + interval '1 minute' WHERE id = $1`,
      [concert.seatIds[2]],
    );
    expect(await brokenRules()).toEqual([
      'a HELD seat has exactly one PENDING reservation, expiring when the hold ends, and none CONFIRMED',
      'a SOLD seat has exactly one CONFIRMED reservation of a COMPLETED payment, and none PENDING',
    ]);
  });

  it('sees a concert closed behind the app with a queue place and a hold still live', async () => {
    const other = await createUser(t);
    await t.http().post(`/concerts/${concert.id}/queue-entry`).set(other.headers).expect(201);
    await t
      .http()
      .post('/reservation/seat')
      .set(other.headers)
      .send({ concertId: concert.id, seatIds: [concert.seatIds[5]] })
      .expect(201);
    expect(await brokenRules()).toEqual([]);
    await t.db.query(`UPDATE concerts SET sales_state = 'CLOSED' WHERE id = $1`, [concert.id]);
    expect(await brokenRules()).toEqual([
      'a concert whose sales are CLOSED has no live queue entry and no unpaid hold',
    ]);
  });

  it('sees a live reservation on an available seat, and two on one seat', async () => {
    await insertReservation(concert.seatIds[3]!, 'PENDING', `now() + interval '1 minute'`);
    await t.db.query('DROP INDEX reservations_live_seat_key');
    try {
      await insertReservation(concert.seatIds[0]!, 'PENDING', `now() + interval '1 minute'`);
      expect(await brokenRules()).toEqual([
        'a seat has at most one live (PENDING or CONFIRMED) reservation',
        'an AVAILABLE seat has no live reservation',
        'a SOLD seat has exactly one CONFIRMED reservation of a COMPLETED payment, and none PENDING',
      ]);
    } finally {
      await t.db.query(`DELETE FROM reservations WHERE status = 'PENDING'`);
      await t.db.query(
        `CREATE UNIQUE INDEX reservations_live_seat_key ON reservations (seat_id) WHERE status IN ('PENDING', 'CONFIRMED')`,
      );
    }
  });

  it('sees a payment whose total matches neither its ledger nor its reservations', async () => {
    await t.db.query('UPDATE payments SET total_amount = total_amount + 1');
    expect(await brokenRules()).toEqual([
      "a payment's PAYMENT ledger rows sum to minus its total, in its payer's ledger",
      "a payment's total is the sum of its reservations' prices, all CONFIRMED and the payer's own",
    ]);
  });

  it('sees queue counters off by one and more active windows than the capacity', async () => {
    await t.db.query('UPDATE queues SET activated_count = activated_count + 1 WHERE concert_id = $1', [
      concert.id,
    ]);
    expect(await brokenRules()).toEqual(["a queue's counters match its entries"]);
    await t.db.query('UPDATE queues SET activated_count = activated_count - 1 WHERE concert_id = $1', [
      concert.id,
    ]);
    for (const other of [await createUser(t), await createUser(t)]) {
      await t.http().post(`/concerts/${concert.id}/queue-entry`).set(other.headers).expect(201);
    }
    await t.db.query('UPDATE concerts SET queue_capacity = 1 WHERE id = $1', [concert.id]);
    expect(await brokenRules()).toEqual(['no concert has more ACTIVE entries than its capacity']);
  });

  it('sees something expired before its time, and, with a sweeper, a hold or window long past its expiry', async () => {
    await insertReservation(concert.seatIds[4]!, 'EXPIRED', `now() + interval '1 minute'`);
    expect(await brokenRules()).toEqual(['no reservation is EXPIRED before its expiry']);
    await t.db.query(`DELETE FROM reservations WHERE status = 'EXPIRED'`);

    const waiting = await createUser(t);
    await t.http().post(`/concerts/${concert.id}/queue-entry`).set(waiting.headers).expect(201);
    await t.db.query(
      `UPDATE queue_entries SET expires_at = now() - interval '5 seconds' WHERE status = 'ACTIVE'`,
    );
    const lapsed = await insertReservation(concert.seatIds[5]!, 'PENDING', `now() - interval '5 seconds'`);
    await t.db.query(
      `UPDATE seats SET status = 'HELD', held_until = r.expires_at FROM reservations r WHERE r.id = $1 AND seats.id = r.seat_id`,
      [lapsed.rows[0].id],
    );
    // A lapsed hold or window that the sweeper has not reached yet is fine; only how late it is counts.
    expect(await brokenRules()).toEqual([]);
    expect(await brokenRules({ sweepIntervalMs: 1_000 })).toEqual([
      'no PENDING hold outlives its expiry by more than 2000 ms',
      'no ACTIVE queue window outlives its expiry by more than 2000 ms',
    ]);
  });
});
