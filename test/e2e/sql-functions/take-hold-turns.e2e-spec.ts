import { FunctionTestDatabase, type OpenTransaction } from '../../helpers/database-functions.js';

/**
 * take_hold_turns called directly (prisma/functions/take_hold_turns.sql): the locks a batch of
 * holds may wait for, taken before its first hold, as a hold alone would take them.
 */
describe('take_hold_turns', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** The users whose hold lock in the concert the transaction of `pid` holds. */
  async function holdLocksOf(pid: number, concertId: string, userIds: string[]): Promise<string[]> {
    const { rows } = await f.db.query<{ user_id: string }>(
      `SELECT u.id AS user_id FROM unnest($3::uuid[]) AS u(id)
       WHERE EXISTS (SELECT 1 FROM pg_locks l
                     WHERE l.pid = $1 AND l.locktype = 'advisory' AND l.granted
                       AND l.classid = 7001 AND l.objid::int = hashtext(u.id::text || ':' || $2::text))`,
      [pid, concertId, userIds],
    );
    return rows.map((row) => row.user_id).sort();
  }

  async function claimed(concertId: string, userId: string): Promise<boolean> {
    const { rows } = await f.db.query<{ claimed: boolean }>(
      `SELECT claimed_at IS NOT NULL AS claimed FROM queue_entries WHERE concert_id = $1 AND user_id = $2`,
      [concertId, userId],
    );
    return rows[0]?.claimed ?? false;
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

  it('claims each unclaimed window and takes the hold lock of each user with a window open', async () => {
    const concert = await f.concert();
    const [unclaimed, holder, outsider] = [await f.user(), await f.user(), await f.user()];
    await f.openWindow(concert.id, unclaimed, { claimed: false });
    await f.openWindow(concert.id, holder);

    const locked = await inTransaction(async (tx, pid) => {
      const { rows } = await tx.client.query<{ concert_id: string }>(
        'SELECT take_hold_turns($1::uuid, $2::uuid[]) AS concert_id',
        [concert.id, [outsider, holder, unclaimed, holder]],
      );
      expect(rows).toEqual([{ concert_id: concert.id }]);
      return holdLocksOf(pid, concert.id, [unclaimed, holder, outsider]);
    });

    expect(locked).toEqual([unclaimed, holder].sort());
    expect(await claimed(concert.id, unclaimed)).toBe(true);
    expect(await claimed(concert.id, outsider)).toBe(false);
  });

  it.each(['PAUSED', 'CLOSED'])('takes no claim and no hold lock when sales are %s', async (state) => {
    const concert = await f.concert();
    const user = await f.user();
    await f.openWindow(concert.id, user, { claimed: false });
    await f.db.query(`UPDATE concerts SET sales_state = $2::"SalesState" WHERE id = $1`, [concert.id, state]);

    const locked = await inTransaction(async (tx, pid) => {
      await tx.client.query('SELECT take_hold_turns($1::uuid, $2::uuid[])', [concert.id, [user]]);
      return holdLocksOf(pid, concert.id, [user]);
    });

    expect(locked).toEqual([]);
    expect(await claimed(concert.id, user)).toBe(false);
  });

  it('waits for a user’s hold lock held elsewhere before taking the next user’s', async () => {
    const concert = await f.concert();
    const [first, second] = [await f.user(), await f.user()].sort();
    await f.openWindow(concert.id, first!);
    await f.openWindow(concert.id, second!);
    const other = await f.transaction();
    const session = await f.session();
    try {
      await other.client.query('SELECT lock_user_holds($1::uuid, $2::uuid)', [concert.id, first]);
      await session.client.query('BEGIN');
      const call = session.client.query('SELECT take_hold_turns($1::uuid, $2::uuid[])', [
        concert.id,
        [second, first],
      ]);
      await f.waitUntilBlocked(session.pid);
      // In user id order: blocked on the first user, it has not taken the second's yet.
      expect(await holdLocksOf(session.pid, concert.id, [first!, second!])).toEqual([]);
      await other.end('COMMIT');
      await call;
      expect(await holdLocksOf(session.pid, concert.id, [first!, second!])).toEqual([first, second]);
      await session.client.query('COMMIT');
    } finally {
      session.client.release();
      await other.end();
    }
  });
});
