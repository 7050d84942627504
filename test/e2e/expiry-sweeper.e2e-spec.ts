import { ExpirySweeper } from '../../src/expiry/expiry-sweeper.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUsers, type TestApp } from '../helpers/test-app.js';

describe(ExpirySweeper.name, () => {
  let t: TestApp;

  beforeAll(async () => {
    // Off on its timer: the test runs passes by hand and looks at what each one did.
    t = await createTestApp({ SWEEPER_ENABLED: false });
  });
  afterAll(() => t.close());

  it('in one pass expires a lapsed window, admits the next user, releases a lapsed hold and drops old keys', async () => {
    const concert = await createConcert(t, { capacity: 1, seats: 2 });
    const [first, second] = await createUsers(t, 2);
    await t.http().get(`/concerts/${concert.id}/queue-entry`).set(first!.headers).expect(201);
    await t.http().get(`/concerts/${concert.id}/queue-entry`).set(second!.headers).expect(201);
    await t
      .http()
      .post('/reservation/seat')
      .set(first!.headers)
      .send({ concertId: concert.id, seatIds: [concert.seatIds[0]] })
      .expect(201);
    await t.db.query(`UPDATE queue_entries SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      first!.id,
    ]);
    await t.db.query(`UPDATE reservations SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      first!.id,
    ]);
    await t.db.query(`UPDATE seats SET held_until = now() - interval '1 second' WHERE id = $1`, [
      concert.seatIds[0],
    ]);
    await t.db.query(
      `INSERT INTO idempotency_keys (user_id, scope, key, request_hash, created_at)
       VALUES ($1, 'points.charge', 'old', 'h', now() - interval '25 hours'), ($1, 'points.charge', 'fresh', 'h', now())`,
      [first!.id],
    );

    await t.app.get(ExpirySweeper).tick();

    const entries = await t.db.query<{ user_id: string; status: string }>(
      `SELECT user_id, status FROM queue_entries WHERE concert_id = $1`,
      [concert.id],
    );
    const statusOf = (userId: string) => entries.rows.find((row) => row.user_id === userId)?.status;
    expect([statusOf(first!.id), statusOf(second!.id)]).toEqual(['EXPIRED', 'ACTIVE']);
    const seat = await t.db.query(`SELECT status, held_until FROM seats WHERE id = $1`, [concert.seatIds[0]]);
    expect(seat.rows[0]).toEqual({ status: 'AVAILABLE', held_until: null });
    const reservation = await t.db.query(`SELECT status FROM reservations WHERE user_id = $1`, [first!.id]);
    expect(reservation.rows[0].status).toBe('EXPIRED');
    const keys = await t.db.query(`SELECT key FROM idempotency_keys WHERE user_id = $1`, [first!.id]);
    expect(keys.rows.map((row) => row.key)).toEqual(['fresh']);
  });

  it('finds lapsed holds by their reservations and leaves live holds alone', async () => {
    const concert = await createConcert(t, { capacity: 2, seats: 3 });
    const [lapsing, live] = await createUsers(t, 2);
    for (const user of [lapsing!, live!])
      await t.http().get(`/concerts/${concert.id}/queue-entry`).set(user.headers).expect(201);
    for (const [user, seatIds] of [
      [lapsing!, concert.seatIds.slice(0, 2)],
      [live!, concert.seatIds.slice(2)],
    ] as const)
      await t
        .http()
        .post('/reservation/seat')
        .set(user.headers)
        .send({ concertId: concert.id, seatIds })
        .expect(201);
    // As a hold's time running out leaves them: seat and reservation with one past expiry.
    await t.db.query(
      `WITH r AS (UPDATE reservations SET expires_at = clock_timestamp() - interval '1 second'
                  WHERE user_id = $1 RETURNING seat_id, expires_at)
       UPDATE seats s SET held_until = r.expires_at FROM r WHERE s.id = r.seat_id`,
      [lapsing!.id],
    );

    await t.app.get(ExpirySweeper).tick();

    const { rows } = await t.db.query<{ user_id: string; status: string; seat_status: string }>(
      `SELECT r.user_id, r.status, s.status AS seat_status FROM reservations r JOIN seats s ON s.id = r.seat_id
       WHERE r.concert_id = $1 ORDER BY s.position`,
      [concert.id],
    );
    expect(rows).toEqual([
      { user_id: lapsing!.id, status: 'EXPIRED', seat_status: 'AVAILABLE' },
      { user_id: lapsing!.id, status: 'EXPIRED', seat_status: 'AVAILABLE' },
      { user_id: live!.id, status: 'PENDING', seat_status: 'HELD' },
    ]);
  });

  it('is the backstop of the admit after a payment: ends the paid window as COMPLETED and admits the next user', async () => {
    const concert = await createConcert(t, { capacity: 1, seats: 1, price: 0 });
    const [payer, next] = await createUsers(t, 2);
    await t.http().get(`/concerts/${concert.id}/queue-entry`).set(payer!.headers).expect(201);
    await t.http().get(`/concerts/${concert.id}/queue-entry`).set(next!.headers).expect(201);
    const hold = await t
      .http()
      .post('/reservation/seat')
      .set(payer!.headers)
      .send({ concertId: concert.id, seatIds: [concert.seatIds[0]] })
      .expect(201);
    // Paid in SQL, as if the app died between the payment's commit and its admit.
    await t.db.query(`SELECT outcome FROM pay_reservations($1, $2)`, [
      payer!.id,
      [hold.body.reservations[0].id],
    ]);
    const before = await t.db.query(
      `SELECT status FROM queue_entries WHERE concert_id = $1 ORDER BY ticket`,
      [concert.id],
    );
    expect(before.rows.map((row) => row.status)).toEqual(['ACTIVE', 'WAITING']);
    await t.http().get(`/reservation/${concert.id}/seats`).set(payer!.headers).expect(403);

    await t.app.get(ExpirySweeper).tick();

    const after = await t.db.query(
      `SELECT e.status, q.active_count FROM queue_entries e JOIN queues q USING (concert_id)
       WHERE e.concert_id = $1 ORDER BY e.ticket`,
      [concert.id],
    );
    expect(after.rows).toEqual([
      { status: 'COMPLETED', active_count: 1 },
      { status: 'ACTIVE', active_count: 1 },
    ]);
  });
});
