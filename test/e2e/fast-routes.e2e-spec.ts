import { jest } from '@jest/globals';
import { ApiValidationPipe } from '../../src/common/errors/validation-failed.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * The seat rush's seat page, hold and payment are answered before Nest when their input is
 * plainly valid (FastRoutes). Each is sent twice here: once as the fast route takes it, once in a
 * form only the controller takes (page=01, upper-case ids: the same request after its pipes), and
 * both answers must be alike. Which path answered shows in whether the global ValidationPipe ran.
 */
const PER_ANSWER = new Set(['date', 'content-length', 'x-request-id', 'connection', 'keep-alive']);
const stableHeaders = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.has(name)));

async function activeUser(t: TestApp, concertId: string, points = 0): Promise<TestUser> {
  const user = await createUser(t);
  const entry = await t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
  expect(entry.body.status).toBe('ACTIVE');
  if (points) await t.http().patch('/points/charge').set(user.headers).send({ amount: points }).expect(200);
  return user;
}

describe('Fast routes answer as the controller does', () => {
  let t: TestApp;
  let pipe: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 50 });
  });
  beforeEach(() => {
    pipe = jest.spyOn(ApiValidationPipe.prototype, 'transform');
  });
  afterEach(() => pipe.mockRestore());
  afterAll(() => t.close());

  /** Sends `fast` then `throughNest`; checks which path each took; returns both answers. */
  async function both<T extends { status: number; headers: Record<string, string> }>(
    fast: () => Promise<T>,
    throughNest: () => Promise<T>,
  ): Promise<[T, T]> {
    pipe.mockClear();
    const first = await fast();
    expect(pipe).not.toHaveBeenCalled();
    const second = await throughNest();
    expect(pipe).toHaveBeenCalled();
    expect(first.status).toBe(second.status);
    expect(stableHeaders(first.headers)).toEqual(stableHeaders(second.headers));
    return [first, second];
  }

  it('a seat page, and the same page refused without a window', async () => {
    const concert = await createConcert(t, { seats: 5 });
    const buyer = await activeUser(t, concert.id);
    const seats = (page: string) =>
      t.http().get(`/reservation/${concert.id}/seats?page=${page}&limit=2`).set(buyer.headers);

    const [fast, nest] = await both(
      () => seats('2'),
      () => seats('02'),
    );
    expect(fast.status).toBe(200);
    expect(fast.body).toEqual(nest.body);
    expect(fast.body.pagination).toEqual({ page: 2, limit: 2, total: 5, totalPages: 3 });

    const outsider = await createUser(t);
    const [refusedFast, refusedNest] = await both(
      () => t.http().get(`/reservation/${concert.id}/seats`).set(outsider.headers),
      () => t.http().get(`/reservation/${concert.id}/seats?page=01`).set(outsider.headers),
    );
    expect(refusedFast.status).toBe(403);
    expect(refusedFast.body).toEqual(refusedNest.body);
  });

  it('a hold, a refused hold, and a payment', async () => {
    const concert = await createConcert(t, { seats: 4, price: 1_000 });
    const [a, b, c, d] = concert.seatIds as [string, string, string, string];
    const first = await activeUser(t, concert.id, 10_000);
    const second = await activeUser(t, concert.id, 10_000);
    const hold = (user: TestUser, body: object) =>
      t.http().post('/reservation/seat').set(user.headers).send(body);
    const pay = (user: TestUser, reservationIds: string[]) =>
      t.http().post('/payment').set(user.headers).send({ reservationIds });

    const [heldFast, heldNest] = await both(
      () => hold(first, { concertId: concert.id, seatIds: [a, b] }),
      () => hold(second, { concertId: concert.id.toUpperCase(), seatIds: [c.toUpperCase()] }),
    );
    expect(heldFast.status).toBe(201);
    expect(Object.keys(heldFast.body)).toEqual(Object.keys(heldNest.body));
    expect(heldFast.body.reservations.map((r: { seatId: string }) => r.seatId)).toEqual([a, b]);
    expect(heldNest.body.reservations.map((r: { seatId: string }) => r.seatId)).toEqual([c]);

    const [takenFast, takenNest] = await both(
      () => hold(second, { concertId: concert.id, seatIds: [a, d] }),
      () => hold(second, { concertId: concert.id, seatIds: [a.toUpperCase(), d] }),
    );
    expect(takenFast.status).toBe(409);
    expect(takenFast.body).toEqual(takenNest.body);

    const ids = (held: { body: { reservations: { id: string }[] } }) =>
      held.body.reservations.map((r) => r.id);
    const [paidFast, paidNest] = await both(
      () => pay(first, ids(heldFast)),
      () =>
        pay(
          second,
          ids(heldNest).map((id) => id.toUpperCase()),
        ),
    );
    expect(paidFast.status).toBe(200);
    expect(paidFast.body).toMatchObject({
      reservationIds: ids(heldFast),
      totalAmount: 2_000,
      status: 'COMPLETED',
    });
    expect(Object.keys(paidFast.body)).toEqual(Object.keys(paidNest.body));

    const [againFast, againNest] = await both(
      () => pay(first, ids(heldFast)),
      () =>
        pay(
          first,
          ids(heldFast).map((id) => id.toUpperCase()),
        ),
    );
    expect(againFast.status).toBe(409);
    expect(againFast.body).toEqual(againNest.body);
  });

  it('leaves a request without a valid token to Nest, which answers 401', async () => {
    const concert = await createConcert(t, { seats: 1 });
    const res = await t.http().get(`/reservation/${concert.id}/seats`).set('Authorization', 'Bearer x.y.z');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(pipe).not.toHaveBeenCalled();
  });
});
