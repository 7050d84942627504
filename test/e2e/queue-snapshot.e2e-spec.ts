import { jest } from '@jest/globals';
import pg from 'pg';
import { createConcert } from '../factories/concert.factory.js';
import { checkInvariants } from '../helpers/invariants.js';
import { createTestApp, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';
import { QueueRepository } from '../../src/queue/queue.repository.js';
import { SNAPSHOT_MAX_AGE_MS } from '../../src/queue/queue-snapshots.js';

const enter = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().post(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
const stateOf = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/concerts/${concertId}/queue`).set(user.headers);
const leave = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().delete(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(204);
/** Long enough for every snapshot to be too old to answer. */
const snapshotAge = () => new Promise((resolve) => setTimeout(resolve, SNAPSHOT_MAX_AGE_MS + 50));

/** Each live user's true place: a recount over the whole queue, as the app must never do. */
async function recount(
  t: TestApp,
  concertId: string,
): Promise<Map<string, { position: number; status: string }>> {
  const { rows } = await t.db.query<{ user_id: string; status: string; position: number }>(
    `SELECT user_id, status,
            CASE WHEN status = 'ACTIVE' THEN row_number() OVER (PARTITION BY status ORDER BY ticket)
                 ELSE (SELECT count(*) FROM queue_entries a WHERE a.concert_id = e.concert_id AND a.status = 'ACTIVE')
                      + row_number() OVER (PARTITION BY status ORDER BY ticket) END::int AS position
     FROM queue_entries e WHERE concert_id = $1 AND status IN ('WAITING', 'ACTIVE')`,
    [concertId],
  );
  return new Map(rows.map((row) => [row.user_id, { position: row.position, status: row.status }]));
}

async function expectExactPositions(t: TestApp, concertId: string, users: TestUser[]): Promise<void> {
  const truth = await recount(t, concertId);
  const answers = await Promise.all(users.map((user) => stateOf(t, user, concertId)));
  users.forEach((user, i) => {
    const expected = truth.get(user.id);
    // Gone from the line (left): told so, with the reason.
    if (!expected) expect([answers[i]!.status, answers[i]!.body.details?.reason]).toEqual([410, 'LEFT']);
    else
      expect([user.id, answers[i]!.body.queuePosition, answers[i]!.body.status]).toEqual([
        user.id,
        expected.position,
        expected.status,
      ]);
  });
}

describe('Queue positions from the per-replica snapshot', () => {
  let t: TestApp;
  let other: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
    other = await createTestApp({ SWEEPER_ENABLED: false }, { databaseUrl: t.databaseUrl });
  });
  afterAll(async () => {
    await other.close();
    await t.close();
  });

  it('stays exact to the unit when a third of a 300-user line leaves, across many buckets', async () => {
    const concert = await createConcert(t, { capacity: 3 });
    const users = await createUsers(t, 300);
    for (let i = 0; i < users.length; i += 50)
      await Promise.all(users.slice(i, i + 50).map((user) => enter(t, user, concert.id)));
    await expectExactPositions(t, concert.id, users);

    // Every third user leaves, half through each replica; one active user leaves too.
    const leavers = users.filter((_, i) => i % 3 === 1 || i === 0);
    await Promise.all(leavers.map((user, i) => leave(i % 2 ? other : t, user, concert.id)));
    await snapshotAge();
    await expectExactPositions(t, concert.id, users);
    await expectExactPositions(other, concert.id, users);
    expect(await checkInvariants(t.db)).toEqual([]);
  });

  it('answers a known waiting user from the snapshot, without reading their entry', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const users = await createUsers(t, 20);
    for (const user of users) await enter(t, user, concert.id);
    const repo = t.app.get(QueueRepository);
    const entryReads = jest.spyOn(repo, 'findLiveEntries');
    try {
      const answers = await Promise.all(users.slice(1).map((user) => stateOf(t, user, concert.id)));
      expect(answers.map((answer) => answer.body.queuePosition)).toEqual(users.slice(1).map((_, i) => i + 2));
      expect(answers[0]!.body.asOf).toEqual(expect.any(String));
      // Entry remembered each ticket: no entry was read for these polls.
      expect(entryReads).not.toHaveBeenCalled();
    } finally {
      entryReads.mockRestore();
    }
  });

  it('answers a user new to this replica from their signed queueTicket, and ignores another’s', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second, third] = await createUsers(t, 3);
    await enter(other, first!, concert.id);
    const tickets = [];
    for (const user of [second!, third!])
      tickets.push((await enter(other, user, concert.id)).body.queueTicket);
    expect(tickets).toEqual([expect.stringMatching(/^2\./), expect.stringMatching(/^3\./)]);
    const repo = t.app.get(QueueRepository);
    const entryReads = jest.spyOn(repo, 'findLiveEntries');
    try {
      const own = await stateOf(t, third!, concert.id).set('Queue-Ticket', tickets[1]).expect(200);
      expect(own.body).toMatchObject({ queuePosition: 3, status: 'WAITING', queueTicket: tickets[1] });
      expect(entryReads).not.toHaveBeenCalled();
      // The second user's ticket, sent by the third: not theirs, so their entry is read instead.
      const borrowed = await stateOf(t, third!, concert.id).set('Queue-Ticket', tickets[0]).expect(200);
      expect(borrowed.body.queuePosition).toBe(3);
    } finally {
      entryReads.mockRestore();
    }
  });

  it('reads the entry before answering ACTIVE when the snapshot says the turn has come', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second, third] = await createUsers(t, 3);
    for (const user of [first!, second!, third!]) await enter(t, user, concert.id);
    expect((await stateOf(t, second!, concert.id)).body).toMatchObject({
      queuePosition: 2,
      status: 'WAITING',
    });

    // The active user leaves through the other replica: this one learns it from its snapshot.
    await leave(other, first!, concert.id);
    await snapshotAge();
    const repo = t.app.get(QueueRepository);
    const entryReads = jest.spyOn(repo, 'findLiveEntries');
    try {
      expect((await stateOf(t, second!, concert.id)).body).toMatchObject({
        queuePosition: 1,
        status: 'ACTIVE',
      });
      expect(entryReads).toHaveBeenCalledTimes(1);
      expect((await stateOf(t, third!, concert.id)).body).toMatchObject({
        queuePosition: 2,
        status: 'WAITING',
      });
    } finally {
      entryReads.mockRestore();
    }
  });

  it('answers 410 LEFT once a remembered user has left through another replica', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id);
    await enter(t, second!, concert.id);
    await stateOf(t, second!, concert.id).expect(200);
    await leave(other, second!, concert.id);
    await snapshotAge();
    expect((await stateOf(t, second!, concert.id).expect(410)).body.details.reason).toBe('LEFT');
    // Entering again takes a new ticket at the back, and is answered from it.
    await enter(other, second!, concert.id);
    await snapshotAge();
    expect((await stateOf(t, second!, concert.id)).body).toMatchObject({
      queuePosition: 2,
      status: 'WAITING',
    });
  });

  it('lets a waiting user leave while the concert’s queue row is locked', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id);
    await enter(t, second!, concert.id);
    const locker = new pg.Client({ connectionString: t.databaseUrl });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM queues WHERE concert_id = $1 FOR UPDATE', [concert.id]);
      // Would wait for the lock (and time out) if leaving while waiting still took the queue row.
      await leave(t, second!, concert.id);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const { rows } = await t.db.query(
      `SELECT status FROM queue_entries WHERE concert_id = $1 AND user_id = $2`,
      [concert.id, second!.id],
    );
    expect(rows).toEqual([{ status: 'LEFT' }]);
  });

  it('keeps the departures exact under parallel leaves, entries and admissions', async () => {
    const concert = await createConcert(t, { capacity: 4 });
    const users = await createUsers(t, 160);
    await Promise.all(users.slice(0, 120).map((user, i) => enter(i % 2 ? other : t, user, concert.id)));
    await Promise.all([
      ...users.slice(0, 120).map((user, i) => (i % 2 ? leave(t, user, concert.id) : Promise.resolve())),
      ...users.slice(120).map((user, i) => enter(i % 2 ? other : t, user, concert.id)),
    ]);
    await snapshotAge();
    await expectExactPositions(t, concert.id, users);
    expect(await checkInvariants(t.db)).toEqual([]);
  });
});
