import { jest } from '@jest/globals';
import { ReservationsRepository } from '../../src/reservations/reservations.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';

/**
 * A replica answers an unfiltered seat page from its catalog of the concert's seats (rendered
 * once) and the seats' states read on each request. The page must stay as fresh as reading
 * everything (a seat held or sold on another replica or in SQL just before shows so) and its
 * bytes what the seat-map statement wrote before the catalog existed.
 */
describe('Seat pages from the seat catalog', () => {
  let a: TestApp;
  let b: TestApp;
  let statusReads: jest.SpiedFunction<ReservationsRepository['findSeatStatuses']>;

  beforeAll(async () => {
    a = await createTestApp({ SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 50 });
    // A second replica on the same database, with a catalog of its own.
    b = await createTestApp(
      { SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 50 },
      { databaseUrl: a.databaseUrl },
    );
    statusReads = jest.spyOn(a.app.get(ReservationsRepository), 'findSeatStatuses');
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function activeUser(concertId: string): Promise<TestUser> {
    const user = await createUser(a);
    const res = await a.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
    expect(res.body.status).toBe('ACTIVE');
    return user;
  }

  const page = (t: TestApp, user: TestUser, concertId: string, query = '') =>
    t.http().get(`/reservation/${concertId}/seats${query}`).set(user.headers).expect(200);

  const statuses = (res: { body: { seats: { status: string; mine: boolean }[] } }) =>
    res.body.seats.map((seat) => `${seat.status}${seat.mine ? ' mine' : ''}`);

  it('shows a seat held on another replica, or sold in SQL, right before the page', async () => {
    const concert = await createConcert(a, { seats: 4 });
    const [buyer, other] = [await activeUser(concert.id), await activeUser(concert.id)];
    // The first page learns the catalog; the second is answered from it.
    await page(a, buyer, concert.id);
    statusReads.mockClear();
    expect(statuses(await page(a, buyer, concert.id))).toEqual([
      'AVAILABLE',
      'AVAILABLE',
      'AVAILABLE',
      'AVAILABLE',
    ]);

    await b
      .http()
      .post('/reservation/seat')
      .set(other.headers)
      .send({ concertId: concert.id, seatIds: [concert.seatIds[1]] })
      .expect(201);
    expect(statuses(await page(a, buyer, concert.id))).toEqual([
      'AVAILABLE',
      'HELD',
      'AVAILABLE',
      'AVAILABLE',
    ]);

    await b
      .http()
      .post('/reservation/seat')
      .set(buyer.headers)
      .send({ concertId: concert.id, seatIds: [concert.seatIds[2]] })
      .expect(201);
    await a.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [concert.seatIds[3]]);
    expect(statuses(await page(a, buyer, concert.id))).toEqual(['AVAILABLE', 'HELD', 'HELD mine', 'SOLD']);
    expect(statusReads).toHaveBeenCalledTimes(3);
  });

  it('answers a mixed page byte for byte as before', async () => {
    const concert = await createConcert(a, { seats: 5, price: 12_500 });
    const ids = concert.seatIds;
    await a.db.query(
      `UPDATE concerts SET name = 'Catalog "Night"', venue = 'Hall \\ Two', starts_at = '2031-03-04T19:30:00Z' WHERE id = $1`,
      [concert.id],
    );
    await a.db.query(`UPDATE seats SET number = $2, section = $3 WHERE id = $1`, [
      ids[0],
      'Row "B"\\1',
      'Balcón 🎻',
    ]);
    await a.db.query(`UPDATE seats SET number = $2, section = $3 WHERE id = $1`, [
      ids[1],
      '좌석\t2',
      'é/\u0001',
    ]);
    const [buyer, other] = [await activeUser(concert.id), await activeUser(concert.id)];
    await page(a, buyer, concert.id, '?page=1&limit=4');
    statusReads.mockClear();

    const holdFor = (user: TestUser, seatId: string) =>
      a
        .http()
        .post('/reservation/seat')
        .set(user.headers)
        .send({ concertId: concert.id, seatIds: [seatId] })
        .expect(201);
    await holdFor(buyer, ids[1]!);
    await holdFor(other, ids[2]!);
    // The other's hold of the fourth seat lapsed and is not swept yet: AVAILABLE.
    const lapsed = await holdFor(other, ids[3]!);
    await a.db.query(
      `WITH r AS (UPDATE reservations SET expires_at = now() - interval '1 second' WHERE id = $1 RETURNING seat_id, expires_at)
       UPDATE seats SET held_until = r.expires_at FROM r WHERE seats.id = r.seat_id`,
      [lapsed.body.reservations[0].id],
    );
    await a.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [ids[0]]);

    const res = await page(a, buyer, concert.id, '?page=1&limit=4');

    expect(statusReads).toHaveBeenCalledTimes(1);
    expect(res.text).toBe(
      '{"seats":[' +
        `{"id":"${ids[0]}","number":"Row \\"B\\"\\\\1","section":"Balcón 🎻","price":12500,"status":"SOLD","mine":false},` +
        `{"id":"${ids[1]}","number":"좌석\\t2","section":"é/\\u0001","price":12500,"status":"HELD","mine":true},` +
        `{"id":"${ids[2]}","number":"A3","section":"A","price":12500,"status":"HELD","mine":false},` +
        `{"id":"${ids[3]}","number":"A4","section":"A","price":12500,"status":"AVAILABLE","mine":false}],` +
        '"pagination":{"page":1,"limit":4,"total":5,"totalPages":2},' +
        `"concertInfo":{"id":"${concert.id}","name":"Catalog \\"Night\\"","venue":"Hall \\\\ Two",` +
        '"date":"2031-03-04","startsAt":"2031-03-04T19:30:00.000Z"}}',
    );
    // The filtered variant reads everything, as before, and agrees.
    const held = await page(a, buyer, concert.id, '?status=HELD');
    expect(held.body.seats).toEqual(
      JSON.parse(res.text).seats.filter((s: { status: string }) => s.status === 'HELD'),
    );
  });
});
