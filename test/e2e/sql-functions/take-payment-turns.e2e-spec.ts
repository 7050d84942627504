import { FunctionTestDatabase, type OpenTransaction } from '../../helpers/database-functions.js';

/**
 * take_payment_turns called directly (prisma/functions/take_payment_turns.sql): the sales locks a
 * batch of payments takes before its first payment.
 */
describe('take_payment_turns', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** The concerts whose sales lock the transaction of `pid` holds shared (none exclusive). */
  async function salesLocksOf(pid: number, concertIds: string[]): Promise<string[]> {
    const { rows } = await f.db.query<{ concert_id: string }>(
      `SELECT c.id AS concert_id FROM unnest($2::uuid[]) AS c(id)
       WHERE EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.pid = $1 AND l.locktype = 'advisory' AND l.granted AND l.mode = 'ShareLock'
                       AND l.classid = 7002 AND l.objid::int = hashtext(c.id::text))`,
      [pid, concertIds],
    );
    return rows.map((row) => row.concert_id).sort();
  }

  async function inTransaction<T>(run: (tx: OpenTransaction, pid: number) => Promise<T>): Promise<T> {
    const tx = await f.transaction();
    try {
      const { rows } = await tx.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      return await run(tx, rows[0]!.pid);
    } finally {
      await tx.end('COMMIT');
    }
  }

  it("takes the sales lock of each concert of the batch's reservations, shared, and answers the users", async () => {
    const [first, second, untouched] = [await f.concert(), await f.concert(), await f.concert()];
    const [buyer, other] = [await f.user(), await f.user()];
    await f.openWindow(first.id, buyer);
    await f.openWindow(second.id, other);
    const [inFirst] = await f.held(buyer, first.id, [first.seatIds[0]!]);
    const [inSecond] = await f.held(other, second.id, [second.seatIds[0]!]);
    const users = [other, buyer];

    const locked = await inTransaction(async (tx, pid) => {
      const { rows } = await tx.client.query<{ user_ids: string[] }>(
        'SELECT take_payment_turns($1::uuid[], $2::uuid[])::text[] AS user_ids',
        [users, [inSecond, inFirst, '00000000-0000-4000-8000-000000000000']],
      );
      expect(rows).toEqual([{ user_ids: users }]);
      return salesLocksOf(pid, [first.id, second.id, untouched.id]);
    });

    expect(locked).toEqual([first.id, second.id].sort());
  });
});
