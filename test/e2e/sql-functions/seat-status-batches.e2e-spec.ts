import type { Prisma } from '../../../src/generated/prisma/client.js';
import type { SqlQuery } from '../../../src/prisma/prisma.service.js';
import { ReservationsRepository } from '../../../src/reservations/reservations.repository.js';
import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/**
 * Seat pages of one concert asked for while its statement runs go out together as the next
 * statement: each caller still gets the gate, the claim and the lower-case seats of its own,
 * and the page it asked for, as a statement of its own would have answered it.
 */
describe('findSeatStatuses in batches', () => {
  let f: FunctionTestDatabase;
  const repo = new ReservationsRepository();

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** A query that counts its statements. */
  function countingQuery(): { query: SqlQuery; statements: () => number } {
    let statements = 0;
    const query = async <Row>(sql: Prisma.Sql) => {
      statements++;
      return (await f.db.query({ text: sql.text, values: sql.values })).rows as Row[];
    };
    return { query, statements: () => statements };
  }

  const claimedAt = async (concertId: string, userId: string) =>
    (
      await f.db.query<{ claimed_at: Date | null }>(
        `SELECT claimed_at FROM queue_entries WHERE concert_id = $1 AND user_id = $2 AND status = 'ACTIVE'`,
        [concertId, userId],
      )
    ).rows[0]?.claimed_at;

  it('answers each caller of one statement its own gate, claim, seats and page', async () => {
    const concert = await f.concert({ seats: 8, capacity: 10 });
    const [holder, open, unclaimed, outsider, first] = [
      await f.user(),
      await f.user(),
      await f.user(),
      await f.user(),
      await f.user(),
    ] as [string, string, string, string, string];
    for (const user of [holder, open, first]) await f.openWindow(concert.id, user);
    await f.openWindow(concert.id, unclaimed, { claimed: false });
    const s = concert.seatIds;
    await f.held(holder, concert.id, [s[1]!, s[6]!]);
    await f.held(open, concert.id, [s[2]!]);
    const { query, statements } = countingQuery();
    const page = (userId: string, offset: number, limit: number) =>
      repo.findSeatStatuses(query, userId, concert.id, { offset, limit });

    // The first goes out at once; the rest arrive while it runs and go out as one statement.
    const [, ...answers] = await Promise.all([
      page(first, 0, 2),
      page(holder, 0, 4),
      page(holder, 4, 4),
      page(open, 2, 3),
      page(unclaimed, 6, 100),
      page(outsider, 0, 4),
      page(open, 8, 4),
    ]);

    expect(statements()).toBe(2);
    expect(answers.map((answer) => [answer?.windowOpen, answer?.statusCodes])).toEqual([
      [true, 'AhHA'],
      [true, 'AAhA'],
      [true, 'hAA'],
      [true, 'HA'],
      [false, ''],
      [true, ''],
    ]);
    expect(answers.every((answer) => answer?.concert.id === concert.id)).toBe(true);
    expect(await claimedAt(concert.id, unclaimed)).toBeInstanceOf(Date);
  });

  it('answers every caller of a batch of an unknown concert with no row', async () => {
    const { query, statements } = countingQuery();
    const unknown = '00000000-0000-4000-8000-000000000000';
    const users = [await f.user(), await f.user(), await f.user()];
    const answers = await Promise.all(
      users.map((userId) => repo.findSeatStatuses(query, userId, unknown, { offset: 0, limit: 100 })),
    );
    expect(answers).toEqual([null, null, null]);
    expect(statements()).toBe(2);
  });
});
