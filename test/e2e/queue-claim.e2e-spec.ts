import { PrismaService } from '../../src/prisma/prisma.service.js';
import { QueueRepository } from '../../src/queue/queue.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Issue 18: an admitted place is claimed by the first request that sees it ACTIVE, and the
 * window starts then; a place never claimed lapses as NO_SHOW and goes to the next user;
 * a user whose place ended is told why.
 */
const enter = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().post(`/concerts/${concertId}/queue-entry`).set(user.headers);
const stateOf = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/concerts/${concertId}/queue`).set(user.headers);
const leave = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().delete(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(204);
const seatMap = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/reservation/${concertId}/seats`).set(user.headers);

async function entryOf(t: TestApp, user: TestUser, concertId: string) {
  const { rows } = await t.db.query<{
    status: string;
    claimed_at: Date | null;
    activated_at: Date | null;
    expires_at: Date | null;
  }>(
    `SELECT status, claimed_at, activated_at, expires_at FROM queue_entries
     WHERE concert_id = $1 AND user_id = $2 ORDER BY ticket DESC LIMIT 1`,
    [concertId, user.id],
  );
  return rows[0]!;
}

/** capacity 1: the first user is active, the others wait; the first leaves, admitting the second unclaimed. */
async function admitSecondUnclaimed(
  t: TestApp,
  options: { windowSeconds: number; claimSeconds: number; users?: number },
) {
  const concert = await createConcert(t, { capacity: 1, ...options });
  const users = await createUsers(t, options.users ?? 3);
  for (const user of users) await enter(t, user, concert.id).expect(201);
  await leave(t, users[0]!, concert.id);
  const admitted = await entryOf(t, users[1]!, concert.id);
  expect(admitted).toMatchObject({ status: 'ACTIVE', claimed_at: null });
  return { concert, users };
}

describe('Queue: claim and exit reasons (sweeper off)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
  });
  afterAll(() => t.close());

  it('a poll’s claim commits without waiting for its WAL flush', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 30 });
    const repo = t.app.get(QueueRepository);
    const setting = await t.app.get(PrismaService).$transaction(async (tx) => {
      await repo.findLiveEntries(tx, concert.id, [users[1]!.id]);
      const rows = await tx.$queryRaw<
        { value: string }[]
      >`SELECT current_setting('synchronous_commit') AS value`;
      return rows[0]!.value;
    });
    expect(setting).toBe('off');
    expect((await entryOf(t, users[1]!, concert.id)).claimed_at).toBeInstanceOf(Date);
  });

  it('admits an entrant on arrival unclaimed: claimBy, a poll within a second, and the seat map claims', async () => {
    const concert = await createConcert(t, { capacity: 1, windowSeconds: 120, claimSeconds: 5 });
    const [user] = await createUsers(t, 1);
    const res = await enter(t, user!, concert.id).expect(201);
    const admitted = await entryOf(t, user!, concert.id);
    expect(admitted.claimed_at).toBeNull();
    expect(admitted.expires_at!.getTime() - admitted.activated_at!.getTime()).toBe(5_000);
    expect(res.body).toMatchObject({
      status: 'ACTIVE',
      claimBy: admitted.expires_at!.toISOString(),
      expiresAt: admitted.expires_at!.toISOString(),
    });
    expect(res.body.retryAfterMs).toBeLessThanOrEqual(1_000);
    // Entering again only reads the place; the seat map claims it.
    expect((await enter(t, user!, concert.id).expect(200)).body.claimBy).toBe(res.body.claimBy);
    await seatMap(t, user!, concert.id).expect(200);
    const claimed = await entryOf(t, user!, concert.id);
    expect(claimed.expires_at!.getTime() - claimed.claimed_at!.getTime()).toBe(120_000);
  });

  it('gives a polling user a full window from the claim, not from the admission', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 5 });
    const before = await entryOf(t, users[1]!, concert.id);
    expect(before.expires_at!.getTime() - before.activated_at!.getTime()).toBe(5_000);

    const res = await stateOf(t, users[1]!, concert.id).expect(200);
    const after = await entryOf(t, users[1]!, concert.id);
    expect(after.claimed_at).toBeInstanceOf(Date);
    expect(after.expires_at!.getTime() - after.claimed_at!.getTime()).toBe(120_000);
    expect(res.body).toMatchObject({
      status: 'ACTIVE',
      claimBy: null,
      expiresAt: after.expires_at!.toISOString(),
      estimatedWaitSeconds: null,
    });
    // Never asked to come back after the window's end.
    expect(res.body.retryAfterMs).toBeLessThanOrEqual(
      after.expires_at!.getTime() - Date.parse(res.body.asOf),
    );
  });

  it('claims with the seat map too: the gate lets an unclaimed ACTIVE user in and starts the window', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 5 });
    await seatMap(t, users[1]!, concert.id).expect(200);
    const after = await entryOf(t, users[1]!, concert.id);
    expect(after.expires_at!.getTime() - after.claimed_at!.getTime()).toBe(120_000);
  });

  it('claims once when 100 polls arrive at the moment of admission', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 5 });
    const answers = await Promise.all(Array.from({ length: 100 }, () => stateOf(t, users[1]!, concert.id)));
    expect(new Set(answers.map((res) => res.status))).toEqual(new Set([200]));
    const entry = await entryOf(t, users[1]!, concert.id);
    // One claim: every answer carries the window that claim started, and none moved it later.
    expect(new Set(answers.map((res) => res.body.expiresAt))).toEqual(
      new Set([entry.expires_at!.toISOString()]),
    );
    expect(answers.every((res) => res.body.status === 'ACTIVE' && res.body.claimBy === null)).toBe(true);
  });

  it('polls the front about every second and farther back by the estimate', async () => {
    const concert = await createConcert(t, { capacity: 2, windowSeconds: 300 });
    const users = await createUsers(t, 8);
    const bodies = [];
    for (const user of users) bodies.push((await enter(t, user, concert.id).expect(201)).body);
    // Positions 3 and 4 are within a capacity of the front: any ended window can admit them.
    for (const body of bodies.slice(2, 4)) expect(body.retryAfterMs).toBeLessThanOrEqual(1_200);
    // Position 8 needs 6 admissions: 3 full windows by the fallback estimate.
    expect(bodies[7]).toMatchObject({ queuePosition: 8, estimatedWaitSeconds: 900 });
    expect(bodies[7].retryAfterMs).toBeGreaterThanOrEqual(60_000 * 0.8);
  });

  it('estimates the wait from the admissions of the last minutes once there are more than a capacity', async () => {
    const concert = await createConcert(t, { capacity: 1, windowSeconds: 300 });
    const users = await createUsers(t, 8);
    for (const user of users) await enter(t, user, concert.id).expect(201);
    // Four windows end early: five admissions in the last minutes (the first on arrival).
    for (const user of users.slice(0, 4)) await leave(t, user, concert.id);
    // Position 4 needs 3 admissions: 3 / (5 / 180 s) = 108 s, where whole windows would say 900 s.
    await waitFor(async () => (await stateOf(t, users[7]!, concert.id)).body.estimatedWaitSeconds === 108);
    expect((await stateOf(t, users[7]!, concert.id)).body).toMatchObject({
      queuePosition: 4,
      status: 'WAITING',
    });
  });

  it('answers 404 QUEUE_ENTRY_NOT_FOUND to a user who never entered', async () => {
    const concert = await createConcert(t);
    const [user] = await createUsers(t, 1);
    expect((await stateOf(t, user!, concert.id).expect(404)).body.code).toBe('QUEUE_ENTRY_NOT_FOUND');
    expect((await seatMap(t, user!, concert.id).expect(403)).body.details).toEqual({ concertId: concert.id });
  });

  it('tells a user who left: 410 LEFT with endedAt, and the gate says the same', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [user] = await createUsers(t, 1);
    await enter(t, user!, concert.id).expect(201);
    await leave(t, user!, concert.id);
    const res = await stateOf(t, user!, concert.id).expect(410);
    expect(res.body).toMatchObject({
      statusCode: 410,
      code: 'QUEUE_ENTRY_ENDED',
      details: { concertId: concert.id, reason: 'LEFT', endedAt: expect.any(String) },
    });
    expect((await seatMap(t, user!, concert.id).expect(403)).body).toMatchObject({
      code: 'QUEUE_NOT_ACTIVE',
      details: { reason: 'LEFT', endedAt: res.body.details.endedAt },
    });
  });

  it('tells NO_SHOW for an unclaimed place that lapsed, even before the sweeper marks it', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 5 });
    await t.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second' WHERE user_id = $1`,
      [users[1]!.id],
    );
    expect((await stateOf(t, users[1]!, concert.id).expect(410)).body.details.reason).toBe('NO_SHOW');
    expect((await seatMap(t, users[1]!, concert.id).expect(403)).body.details.reason).toBe('NO_SHOW');
  });

  it('tells the latest exit over an earlier pre-queue entry, which has no ticket', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 5 });
    // Left the pre-queue before the draw (issue 21): no ticket, ended before the ticketed entry.
    await t.db.query(
      `INSERT INTO queue_entries (concert_id, user_id, ticket, status, ended_at)
       VALUES ($1, $2, NULL, 'LEFT', clock_timestamp() - interval '10 minutes')`,
      [concert.id, users[1]!.id],
    );
    await t.db.query(
      `UPDATE queue_entries SET expires_at = clock_timestamp() - interval '1 second'
       WHERE user_id = $1 AND status = 'ACTIVE'`,
      [users[1]!.id],
    );
    expect((await stateOf(t, users[1]!, concert.id).expect(410)).body.details.reason).toBe('NO_SHOW');
  });

  it('forgets an exit after an hour: 404 again', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [user] = await createUsers(t, 1);
    await enter(t, user!, concert.id).expect(201);
    await leave(t, user!, concert.id);
    await t.db.query(
      `UPDATE queue_entries SET ended_at = ended_at - interval '61 minutes' WHERE user_id = $1`,
      [user!.id],
    );
    await stateOf(t, user!, concert.id).expect(404);
  });
});

describe('Queue: no-shows with the sweeper', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ EXPIRY_SWEEP_INTERVAL_MS: 100 });
  });
  afterAll(() => t.close());

  it('skips an admitted user who never shows up as NO_SHOW, admitting the next one', async () => {
    const { concert, users } = await admitSecondUnclaimed(t, { windowSeconds: 120, claimSeconds: 1 });
    // users[1] never comes back; the sweeper hands the place on after the claim time.
    await waitFor(async () => (await entryOf(t, users[2]!, concert.id)).status === 'ACTIVE', 10_000);
    expect(await entryOf(t, users[1]!, concert.id)).toMatchObject({ status: 'NO_SHOW', claimed_at: null });
    expect((await stateOf(t, users[1]!, concert.id).expect(410)).body.details.reason).toBe('NO_SHOW');
    // The next user, polling in time, gets a full window from their claim.
    expect((await stateOf(t, users[2]!, concert.id).expect(200)).body).toMatchObject({
      status: 'ACTIVE',
      claimBy: null,
    });
    const next = await entryOf(t, users[2]!, concert.id);
    expect(next.expires_at!.getTime() - next.claimed_at!.getTime()).toBe(120_000);
  });

  it('tells EXPIRED for a claimed window that lapsed', async () => {
    const concert = await createConcert(t, { capacity: 1, windowSeconds: 1 });
    const [user] = await createUsers(t, 1);
    await enter(t, user!, concert.id).expect(201);
    expect((await stateOf(t, user!, concert.id).expect(200)).body.claimBy).toBeNull();
    await waitFor(async () => (await entryOf(t, user!, concert.id)).status === 'EXPIRED', 10_000);
    expect((await stateOf(t, user!, concert.id).expect(410)).body.details.reason).toBe('EXPIRED');
  });
});
