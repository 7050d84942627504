import { waitFor } from '../helpers/wait.js';
import { ExpirySweeper } from '../../src/expiry/expiry-sweeper.js';
import { createConcert, type ConcertFixture } from '../factories/concert.factory.js';
import { checkInvariants } from '../helpers/invariants.js';
import { createTestApp, createUser, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';

const PRICE = 1_000;
/** Between two racing requests. */
const STAGGER_MS = 5;

describe('Sales states', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
    admin = await createUser(t, { role: 'ADMIN' });
  });
  afterAll(() => t.close());

  const enter = (user: TestUser, concertId: string) =>
    t.http().post(`/concerts/${concertId}/queue-entry`).set(user.headers);
  const hold = (user: TestUser, concertId: string, seatIds: string[]) =>
    t.http().post('/reservation/seat').set(user.headers).send({ concertId, seatIds });
  const pay = (user: TestUser, reservationIds: string[]) =>
    t.http().post('/payment').set(user.headers).send({ reservationIds });
  const patch = (concertId: string, body: Record<string, unknown>) =>
    t.http().patch(`/admin/concerts/${concertId}`).set(admin.headers).send(body);
  const seatMap = (user: TestUser, concertId: string) =>
    t.http().get(`/reservation/${concertId}/seats`).set(user.headers);
  const queueState = (user: TestUser, concertId: string) =>
    t.http().get(`/concerts/${concertId}/queue`).set(user.headers);
  const balanceOf = async (user: TestUser) =>
    (await t.http().get('/points').set(user.headers).expect(200)).body.points as number;

  /** A user with an open window in the concert and points for `points`. */
  async function activeBuyer(concertId: string, points = 10 * PRICE): Promise<TestUser> {
    const user = await createUser(t);
    await t.http().patch('/points/charge').set(user.headers).send({ amount: points }).expect(200);
    expect((await enter(user, concertId).expect(201)).body.status).toBe('ACTIVE');
    return user;
  }

  async function holdOne(user: TestUser, concertId: string, seatId: string): Promise<string> {
    const res = await hold(user, concertId, [seatId]).expect(201);
    return res.body.reservations[0].id as string;
  }

  const entryStatuses = async (concertId: string) =>
    (
      await t.db.query<{ user_id: string; status: string; ended: boolean }>(
        `SELECT user_id, status, ended_at IS NOT NULL AS ended FROM queue_entries WHERE concert_id = $1 ORDER BY ticket`,
        [concertId],
      )
    ).rows;
  const reservationStatus = async (reservationId: string) =>
    (await t.db.query<{ status: string }>('SELECT status FROM reservations WHERE id = $1', [reservationId]))
      .rows[0]!.status;
  const seatStatuses = async (concertId: string) =>
    (
      await t.db.query<{ status: string }>(
        'SELECT DISTINCT status FROM seats WHERE concert_id = $1 ORDER BY status',
        [concertId],
      )
    ).rows.map((row) => row.status);

  describe('CLOSED by the operator', () => {
    let concert: ConcertFixture;
    let buyer: TestUser;
    let waiting: TestUser;
    let held: string;

    beforeAll(async () => {
      concert = await createConcert(t, { seats: 4, capacity: 1, price: PRICE });
      buyer = await activeBuyer(concert.id);
      held = await holdOne(buyer, concert.id, concert.seatIds[0]!);
      waiting = await createUser(t);
      expect((await enter(waiting, concert.id).expect(201)).body.status).toBe('WAITING');
      const closed = await patch(concert.id, { salesState: 'CLOSED' }).expect(200);
      expect(closed.body).toMatchObject({ id: concert.id, salesState: 'CLOSED' });
    });

    it('ends every window and place in the queue, and releases every unpaid hold, recording why', async () => {
      expect(await entryStatuses(concert.id)).toEqual([
        { user_id: buyer.id, status: 'SALES_CLOSED', ended: true },
        { user_id: waiting.id, status: 'SALES_CLOSED', ended: true },
      ]);
      expect(await reservationStatus(held)).toBe('SALES_CLOSED');
      expect(await seatStatuses(concert.id)).toEqual(['AVAILABLE']);
      const { rows } = await t.db.query(
        'SELECT sales_state, active_count FROM concerts JOIN queues ON concert_id = id WHERE id = $1',
        [concert.id],
      );
      expect(rows[0]).toEqual({ sales_state: 'CLOSED', active_count: 0 });
      expect((await queueState(buyer, concert.id).expect(410)).body).toMatchObject({
        code: 'QUEUE_ENTRY_ENDED',
        details: { reason: 'SALES_CLOSED', endedAt: expect.any(String) },
      });
      const mine = await t.http().get('/reservation').set(buyer.headers).expect(200);
      expect(mine.body.reservations).toEqual([expect.objectContaining({ id: held, status: 'SALES_CLOSED' })]);
      expect(await checkInvariants(t.db)).toEqual([]);
    });

    it('answers the user whose window was open 409 SALES_CLOSED to a hold and to paying, and takes no points', async () => {
      const holding = await hold(buyer, concert.id, [concert.seatIds[1]!]).expect(409);
      expect(holding.body).toMatchObject({ code: 'SALES_CLOSED', details: { concertId: concert.id } });
      const paying = await pay(buyer, [held]).expect(409);
      expect(paying.body).toMatchObject({ code: 'SALES_CLOSED', details: { reservationIds: [held] } });
      expect(await balanceOf(buyer)).toBe(10 * PRICE);
      expect(await seatStatuses(concert.id)).toEqual(['AVAILABLE']);
    });

    it('refuses entry and the seat map with 409 SALES_CLOSED', async () => {
      const newcomer = await createUser(t);
      expect((await enter(newcomer, concert.id).expect(409)).body.code).toBe('SALES_CLOSED');
      expect((await seatMap(buyer, concert.id).expect(409)).body.code).toBe('SALES_CLOSED');
    });

    it('is final: reopening or moving the close time is 409 SALES_CLOSED, closing again is 200', async () => {
      for (const body of [{ salesState: 'ON_SALE' }, { salesState: 'PAUSED' }, { salesCloseAt: inDays(1) }]) {
        expect((await patch(concert.id, body).expect(409)).body.code).toBe('SALES_CLOSED');
      }
      await patch(concert.id, { salesState: 'CLOSED', queueCapacity: 3 }).expect(200);
      const { rows } = await t.db.query('SELECT sales_state, queue_capacity FROM concerts WHERE id = $1', [
        concert.id,
      ]);
      expect(rows[0]).toEqual({ sales_state: 'CLOSED', queue_capacity: 3 });
    });
  });

  it('ends a lapsed place never claimed as NO_SHOW and a lapsed claimed window as EXPIRED', async () => {
    const concert = await createConcert(t, { seats: 4, capacity: 2, price: PRICE });
    const [unclaimed, claimed] = await createUsers(t, 2);
    for (const user of [unclaimed!, claimed!]) {
      expect((await enter(user, concert.id).expect(201)).body.status).toBe('ACTIVE');
    }
    // The poll claims the place (issue 18); the other entrant never comes back.
    await queueState(claimed!, concert.id).expect(200);
    await t.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second' WHERE concert_id = $1`,
      [concert.id],
    );
    await patch(concert.id, { salesState: 'CLOSED' }).expect(200);
    expect(await entryStatuses(concert.id)).toEqual([
      { user_id: unclaimed!.id, status: 'NO_SHOW', ended: true },
      { user_id: claimed!.id, status: 'EXPIRED', ended: true },
    ]);
  });

  describe('PAUSED', () => {
    it('refuses entries, admissions and new holds, and lets holds already made be paid', async () => {
      const concert = await createConcert(t, { seats: 4, capacity: 1, price: PRICE });
      const buyer = await activeBuyer(concert.id);
      const held = await holdOne(buyer, concert.id, concert.seatIds[0]!);
      const waiting = await createUser(t);
      expect((await enter(waiting, concert.id).expect(201)).body.status).toBe('WAITING');

      expect((await patch(concert.id, { salesState: 'PAUSED' }).expect(200)).body.salesState).toBe('PAUSED');

      const holding = await hold(buyer, concert.id, [concert.seatIds[1]!]).expect(409);
      expect(holding.body).toMatchObject({ code: 'SALES_PAUSED', details: { concertId: concert.id } });
      expect((await enter(await createUser(t), concert.id).expect(409)).body.code).toBe('SALES_PAUSED');
      await seatMap(buyer, concert.id).expect(200);
      await pay(buyer, [held]).expect(200);
      expect(await balanceOf(buyer)).toBe(9 * PRICE);

      // The payment freed the only place, but nobody is admitted while paused, not by the sweeper either.
      await t.app.get(ExpirySweeper).tick();
      expect((await queueState(waiting, concert.id).expect(200)).body.status).toBe('WAITING');

      await patch(concert.id, { salesState: 'ON_SALE' }).expect(200);
      await t.app.get(ExpirySweeper).tick();
      // A waiting user's poll answers from the replica's snapshot, at most SNAPSHOT_MAX_AGE_MS old.
      await waitFor(
        async () => (await queueState(waiting, concert.id).expect(200)).body.status === 'ACTIVE',
        2_000,
      );
      expect(await checkInvariants(t.db)).toEqual([]);
    });
  });

  describe('closing by themselves', () => {
    it('refuses entry, hold, payment and the seat map once the concert has started, and the sweeper closes it', async () => {
      const concert = await createConcert(t, { seats: 4, capacity: 1, price: PRICE });
      const buyer = await activeBuyer(concert.id);
      const held = await holdOne(buyer, concert.id, concert.seatIds[0]!);
      const waiting = await createUser(t);
      await enter(waiting, concert.id).expect(201);
      await t.db.query(`UPDATE concerts SET starts_at = now() - interval '2 hours' WHERE id = $1`, [
        concert.id,
      ]);

      expect((await enter(await createUser(t), concert.id).expect(409)).body.code).toBe('SALES_CLOSED');
      expect((await hold(buyer, concert.id, [concert.seatIds[1]!]).expect(409)).body.code).toBe(
        'SALES_CLOSED',
      );
      expect((await pay(buyer, [held]).expect(409)).body.code).toBe('SALES_CLOSED');
      expect((await seatMap(buyer, concert.id).expect(409)).body.code).toBe('SALES_CLOSED');
      expect(await balanceOf(buyer)).toBe(10 * PRICE);
      const stats = await t.http().get(`/admin/concerts/${concert.id}`).set(admin.headers).expect(200);
      expect(stats.body.salesState).toBe('CLOSED');

      await t.app.get(ExpirySweeper).tick();
      const { rows } = await t.db.query('SELECT sales_state FROM concerts WHERE id = $1', [concert.id]);
      expect(rows[0].sales_state).toBe('CLOSED');
      expect((await entryStatuses(concert.id)).map((entry) => entry.status)).toEqual([
        'SALES_CLOSED',
        'SALES_CLOSED',
      ]);
      expect(await reservationStatus(held)).toBe('SALES_CLOSED');
      expect(await seatStatuses(concert.id)).toEqual(['AVAILABLE']);
      expect(await checkInvariants(t.db)).toEqual([]);
    });

    it('closes at salesCloseAt: given at creation or by PATCH, shown in the listings, checked', async () => {
      const startsAt = inDays(10);
      const create = (salesCloseAt: string) =>
        t
          .http()
          .post('/admin/concerts')
          .set(admin.headers)
          .send({
            name: 'Early close',
            venue: 'Hall',
            startsAt,
            salesCloseAt,
            layout: { rows: [{ label: 'A', seats: 2, price: PRICE }] },
          });
      for (const bad of [inDays(11), inDays(-1)]) {
        expect((await create(bad).expect(400)).body.code).toBe('INVALID_SALES_CLOSE_AT');
      }
      const closeAt = new Date(inDays(9)).toISOString();
      const created = await create(closeAt).expect(201);
      expect(created.body).toMatchObject({ salesState: 'ON_SALE', salesCloseAt: closeAt });
      const concertId = created.body.id as string;

      const user = await createUser(t);
      const listed = async () =>
        (await t.http().get('/concerts').set(user.headers).expect(200)).body.queueEntries.find(
          (entry: { concertId: string }) => entry.concertId === concertId,
        );
      expect(await listed()).toMatchObject({
        salesCloseAt: closeAt,
        startsAt: new Date(startsAt).toISOString(),
      });

      for (const bad of [inDays(11), inDays(-1)]) {
        expect((await patch(concertId, { salesCloseAt: bad }).expect(400)).body.code).toBe(
          'INVALID_SALES_CLOSE_AT',
        );
      }
      const movedTo = new Date(inDays(8)).toISOString();
      expect((await patch(concertId, { salesCloseAt: movedTo }).expect(200)).body.salesCloseAt).toBe(movedTo);

      await t.db.query(`UPDATE concerts SET sales_close_at = now() - interval '1 second' WHERE id = $1`, [
        concertId,
      ]);
      expect(await listed()).toBeUndefined();
      expect((await enter(user, concertId).expect(409)).body.code).toBe('SALES_CLOSED');
    });
  });

  describe('a PATCH to CLOSED racing holds and payments', () => {
    it.each([1, 2, 3])('leaves no hold or sale after the close commits (round %i, 20 requests)', async () => {
      const concert = await createConcert(t, { seats: 20, capacity: 20, price: PRICE });
      const users = await createUsers(t, 20);
      for (const user of users) {
        await t
          .http()
          .patch('/points/charge')
          .set(user.headers)
          .send({ amount: 10 * PRICE })
          .expect(200);
        await enter(user, concert.id).expect(201);
      }
      const payers = users.slice(0, 10);
      const holders = users.slice(10);
      const payerHolds = await Promise.all(
        payers.map((user, i) => holdOne(user, concert.id, concert.seatIds[i]!)),
      );

      // Spread over a few tens of milliseconds with the close in the middle, so that some
      // requests run before it, some wait for it and some come after it.
      const after = <T>(ms: number, send: () => Promise<T>) =>
        new Promise<T>((resolve, reject) => setTimeout(() => void send().then(resolve, reject), ms));
      const requests = [
        ...payers.map((user, i) =>
          after(i * 2 * STAGGER_MS, () =>
            pay(user, [payerHolds[i]!]).then((res) => ({ kind: 'pay', i, res })),
          ),
        ),
        ...holders.map((user, i) =>
          after((i * 2 + 1) * STAGGER_MS, () =>
            hold(user, concert.id, [concert.seatIds[10 + i]!]).then((res) => ({ kind: 'hold', i, res })),
          ),
        ),
        after(6 * STAGGER_MS, () =>
          patch(concert.id, { salesState: 'CLOSED' }).then((res) => ({ kind: 'close', i: 0, res })),
        ),
      ];
      const results = await Promise.all(requests);

      const close = results.find((result) => result.kind === 'close')!;
      expect(close.res.status).toBe(200);
      for (const { kind, res } of results.filter((result) => result.kind !== 'close')) {
        const ok = kind === 'pay' ? 200 : 201;
        expect({ kind, status: res.status, code: res.body.code }).toEqual(
          res.status === ok
            ? { kind, status: ok, code: undefined }
            : { kind, status: 409, code: 'SALES_CLOSED' },
        );
      }

      const { rows: closedAt } = await t.db.query<{ updated_at: Date }>(
        'SELECT updated_at FROM concerts WHERE id = $1',
        [concert.id],
      );
      const { rows: sales } = await t.db.query<{ created_at: Date }>(
        `SELECT p.created_at FROM payments p JOIN reservations r ON r.payment_id = p.id WHERE r.concert_id = $1`,
        [concert.id],
      );
      const { rows: holds } = await t.db.query<{ created_at: Date; status: string }>(
        'SELECT created_at, status FROM reservations WHERE concert_id = $1',
        [concert.id],
      );
      const paid = results.filter((result) => result.kind === 'pay' && result.res.status === 200);
      expect(sales).toHaveLength(paid.length);
      for (const sale of [...sales, ...holds]) expect(sale.created_at < closedAt[0]!.updated_at).toBe(true);
      // Every hold made before the close and left unpaid was released by it.
      expect(holds.filter((h) => h.status !== 'CONFIRMED').map((h) => h.status)).toEqual(
        holds.filter((h) => h.status !== 'CONFIRMED').map(() => 'SALES_CLOSED'),
      );
      expect(holds.filter((h) => h.status === 'CONFIRMED')).toHaveLength(paid.length);
      const { rows: seats } = await t.db.query<{ sold: number; held: number }>(
        `SELECT count(*) FILTER (WHERE status = 'SOLD')::int AS sold, count(*) FILTER (WHERE status = 'HELD')::int AS held
           FROM seats WHERE concert_id = $1`,
        [concert.id],
      );
      expect(seats[0]).toEqual({ sold: paid.length, held: 0 });
      expect((await entryStatuses(concert.id)).filter((entry) => !entry.ended)).toEqual([]);
      for (const [i, payer] of payers.entries()) {
        const result = results.find((r) => r.kind === 'pay' && r.i === i)!;
        expect(await balanceOf(payer)).toBe(result.res.status === 200 ? 9 * PRICE : 10 * PRICE);
      }
      expect(await checkInvariants(t.db)).toEqual([]);
    });
  });
});

function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString();
}
