import type { Prisma } from '../../../src/generated/prisma/client.js';
import type { SqlQuery } from '../../../src/prisma/prisma.service.js';
import { ReservationsRepository } from '../../../src/reservations/reservations.repository.js';
import { SeatCatalog } from '../../../src/reservations/seat-catalog.js';
import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/**
 * The seat page's hot statement (findSeatStatuses) and the catalog it pairs with
 * (findCatalogSeats), run on the real database: each seat's code as the seat map judges its
 * status (a lapsed hold is AVAILABLE) and `mine`, the same gate and claim as findSeatMap, and
 * a page assembled from them byte for byte what findSeatMap writes.
 */
describe('findSeatStatuses and findCatalogSeats', () => {
  let f: FunctionTestDatabase;
  const repo = new ReservationsRepository();
  let query: SqlQuery;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
    query = async <Row>(sql: Prisma.Sql) =>
      (await f.db.query({ text: sql.text, values: sql.values })).rows as Row[];
  });
  afterAll(() => f.close());

  /**
   * Six seats as a rush leaves them, for caller `userId` (window open): 1 AVAILABLE; 2 held by
   * the caller; 3 held by another; 4 the caller's lapsed hold; 5 bought by the caller; 6 by another.
   */
  async function mixedConcert() {
    const concert = await f.concert({ seats: 6 });
    const [s1, s2, s3, s4, s5, s6] = concert.seatIds as [string, string, string, string, string, string];
    const userId = await f.user();
    const other = await f.user();
    for (const buyer of [userId, other]) {
      await f.openWindow(concert.id, buyer);
      await f.fund(buyer, 100_000);
    }
    await f.payReservations(userId, await f.held(userId, concert.id, [s5]));
    await f.payReservations(other, await f.held(other, concert.id, [s6]));
    // Paying ended both windows (as the app then completes them): both come back through the queue.
    for (const buyer of [userId, other]) {
      await f.endQueueEntries(concert.id, buyer, { status: 'COMPLETED' });
      await f.openWindow(concert.id, buyer);
    }
    const [lapsed] = await f.held(userId, concert.id, [s4]);
    await f.lapse(lapsed!);
    await f.held(userId, concert.id, [s2]);
    await f.held(other, concert.id, [s3]);
    return { concert, userId, other, seatIds: [s1, s2, s3, s4, s5, s6] };
  }

  it('answers each seat of the page as a status letter, lower case when the caller’s', async () => {
    const { concert, userId, other } = await mixedConcert();

    const page = (offset: number, limit: number, as = userId) =>
      repo.findSeatStatuses(query, as, concert.id, { offset, limit });
    expect(await page(0, 100)).toMatchObject({
      concert: { id: concert.id, salesState: 'ON_SALE' },
      windowOpen: true,
      statusCodes: 'AhHAsS',
    });
    expect((await page(2, 3))?.statusCodes).toBe('HAs');
    expect((await page(6, 100))?.statusCodes).toBe('');
    expect((await page(0, 100, other))?.statusCodes).toBe('AHhASs');
  });

  it('answers a page that, with the catalog, is byte for byte findSeatMap’s', async () => {
    const { concert, userId, seatIds } = await mixedConcert();
    // Free texts as an admin may write them: quotes, backslashes, unicode, control characters.
    const texts: [string, string][] = [
      ['Row "B" 1', 'Box "East"'],
      ['C\\2', '\\\\server\\share'],
      ['좌석 3 — ½', 'Balcón 🎻'],
      ['tab\there\nnew\u0001\u001f', 'cr\r\bback\fform\u007f'],
      ['</script>{"x":1}', "it's & <b>"],
      ['6', ''],
    ];
    for (const [i, [number, section]] of texts.entries())
      await f.db.query('UPDATE seats SET number = $2, section = $3 WHERE id = $1', [
        seatIds[i],
        number,
        section,
      ]);

    const catalog = SeatCatalog.of(await repo.findCatalogSeats(query, concert.id));
    expect(catalog.count).toBe(6);
    for (const [offset, limit] of [
      [0, 100],
      [1, 4],
      [5, 2],
      [6, 2],
    ] as const) {
      const statuses = await repo.findSeatStatuses(query, userId, concert.id, { offset, limit });
      const statement = await repo.findSeatMap(
        query,
        userId,
        concert.id,
        { offset, limit },
        { count: 6, positionsDense: true },
      );
      expect(catalog.pageJson(offset, limit, statuses!.statusCodes)).toBe(statement!.seatsJson);
    }
  });

  it('shuts like findSeatMap: no window, no seats; an unknown concert, no row', async () => {
    const concert = await f.concert();
    const outsider = await f.user();
    expect(await repo.findSeatStatuses(query, outsider, concert.id, { offset: 0, limit: 100 })).toMatchObject(
      {
        concert: { id: concert.id },
        windowOpen: false,
        statusCodes: '',
      },
    );
    expect(
      await repo.findSeatStatuses(query, outsider, '00000000-0000-4000-8000-000000000000', {
        offset: 0,
        limit: 100,
      }),
    ).toBeNull();
  });

  it('claims an admitted place on the first request through the gate, as findSeatMap does', async () => {
    const concert = await f.concert();
    const userId = await f.user();
    await f.openWindow(concert.id, userId, { claimed: false });
    const claimedAt = async () =>
      (
        await f.db.query<{ claimed_at: Date | null }>(
          `SELECT claimed_at FROM queue_entries WHERE concert_id = $1 AND user_id = $2`,
          [concert.id, userId],
        )
      ).rows[0]!.claimed_at;
    expect(await claimedAt()).toBeNull();

    const rows = await repo.findSeatStatuses(query, userId, concert.id, { offset: 0, limit: 100 });

    expect(rows).toMatchObject({ windowOpen: true, statusCodes: 'AAAAAA' });
    expect(await claimedAt()).toBeInstanceOf(Date);
  });

  it('answers a closed concert’s sales state, for the service to refuse', async () => {
    const concert = await f.concert();
    await f.db.query(`UPDATE concerts SET sales_state = 'CLOSED' WHERE id = $1`, [concert.id]);
    const rows = await repo.findSeatStatuses(query, await f.user(), concert.id, { offset: 0, limit: 100 });
    expect(rows?.concert.salesState).toBe('CLOSED');
  });

  it('reads the catalog in seat-map order', async () => {
    const concert = await f.concert({ seats: 3, price: 2_500 });
    expect(await repo.findCatalogSeats(query, concert.id)).toEqual(
      concert.seatIds.map((id, i) => ({ id, number: `A${i + 1}`, section: 'A', price: 2_500 })),
    );
  });
});
