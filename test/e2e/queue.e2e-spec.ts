import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

const enter = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers);
const stateOf = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/concerts/${concertId}/queue`).set(user.headers);

async function activeCount(t: TestApp, concertId: string): Promise<number> {
  const { rows } = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM queue_entries WHERE concert_id = $1 AND status = 'ACTIVE'`,
    [concertId],
  );
  return rows[0]!.n;
}

describe('Queue: GET/POST /concerts/:id/queue-entry', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Sweeper off: these tests drive expiry by hand so that nothing moves under them.
    t = await createTestApp({ SWEEPER_ENABLED: false });
  });
  afterAll(() => t.close());

  it('admits the first five and makes the sixth wait with an estimate', async () => {
    const concert = await createConcert(t);
    const users = await createUsers(t, 6);
    const bodies = [];
    for (const user of users) bodies.push((await enter(t, user, concert.id).expect(201)).body);

    expect(bodies.slice(0, 5).map((b) => [b.queuePosition, b.status])).toEqual(
      [1, 2, 3, 4, 5].map((p) => [p, 'ACTIVE']),
    );
    expect(bodies[0]).toMatchObject({ userId: users[0]!.id, concertId: concert.id, estimatedWaitTime: null });
    expect(new Date(bodies[0].expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect(bodies[5]).toMatchObject({
      queuePosition: 6,
      status: 'WAITING',
      expiresAt: null,
      estimatedWaitTime: '5 minutes',
      estimatedWaitSeconds: 300,
    });
    expect(bodies[5].retryAfterMs).toBeGreaterThanOrEqual(1000);
    expect(bodies[5].retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('returns the same place with 200 on re-entry and creates nothing', async () => {
    const concert = await createConcert(t);
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id).expect(201);
    const created = await enter(t, second!, concert.id).expect(201);
    const again = await t.http().post(`/concerts/${concert.id}/queue-entry`).set(second!.headers).expect(200);
    expect(again.body.queuePosition).toBe(created.body.queuePosition);
    expect(again.headers['retry-after']).toBeDefined();
    const { rows } = await t.db.query(`SELECT 1 FROM queue_entries WHERE concert_id = $1`, [concert.id]);
    expect(rows).toHaveLength(2);
  });

  it('gives 200 parallel entrants positions exactly 1..200 with exactly 5 active', async () => {
    const concert = await createConcert(t);
    const users = await createUsers(t, 200);
    const responses = await Promise.all(users.map((user) => enter(t, user, concert.id)));

    expect(responses.map((r) => r.status)).toEqual(users.map(() => 201));
    const positions = responses.map((r) => r.body.queuePosition).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(responses.filter((r) => r.body.status === 'ACTIVE')).toHaveLength(5);
    expect(await activeCount(t, concert.id)).toBe(5);
  });

  it('lets one user enter once however many parallel requests they send', async () => {
    const concert = await createConcert(t);
    const user = await createUser(t);
    const responses = await Promise.all(Array.from({ length: 10 }, () => enter(t, user, concert.id)));
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(9);
    expect(new Set(responses.map((r) => r.body.queuePosition))).toEqual(new Set([1]));
    // No ticket was lost to the losers: the next entrant is position 2.
    expect((await enter(t, await createUser(t), concert.id)).body.queuePosition).toBe(2);
  });

  it('enters a user once when two app instances race with batches of others', async () => {
    const second = await createTestApp({ SWEEPER_ENABLED: false }, { databaseUrl: t.databaseUrl });
    try {
      const concert = await createConcert(t);
      const racer = await createUser(t);
      const others = await createUsers(t, 40);
      const requests = [
        ...others.map((user, i) => enter(i % 2 ? second : t, user, concert.id)),
        ...Array.from({ length: 10 }, (_, i) => enter(i % 2 ? second : t, racer, concert.id)),
      ];
      const responses = await Promise.all(requests);
      expect(responses.every((r) => r.status === 201 || r.status === 200)).toBe(true);
      const racerResponses = responses.slice(others.length);
      expect(racerResponses.filter((r) => r.status === 201)).toHaveLength(1);
      const positions = responses.filter((r) => r.status === 201).map((r) => r.body.queuePosition);
      expect(positions.sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    } finally {
      await second.close();
    }
  });

  it('keeps two concerts apart', async () => {
    const [a, b] = [await createConcert(t, { capacity: 1 }), await createConcert(t, { capacity: 1 })];
    const [u1, u2] = await createUsers(t, 2);
    expect((await enter(t, u1!, a.id)).body).toMatchObject({ queuePosition: 1, status: 'ACTIVE' });
    expect((await enter(t, u2!, a.id)).body).toMatchObject({ queuePosition: 2, status: 'WAITING' });
    expect((await enter(t, u2!, b.id)).body).toMatchObject({ queuePosition: 1, status: 'ACTIVE' });
  });

  it('answers 404 for an unknown concert, 409 for one paused or closed and 400 for a bad id', async () => {
    const user = await createUser(t);
    const unknown = await enter(t, user, '00000000-0000-4000-8000-000000000000').expect(404);
    expect(unknown.body.code).toBe('CONCERT_NOT_FOUND');
    const closed = await createConcert(t, { salesState: 'CLOSED' });
    expect((await enter(t, user, closed.id).expect(409)).body.code).toBe('SALES_CLOSED');
    const paused = await createConcert(t, { salesState: 'PAUSED' });
    expect((await enter(t, user, paused.id).expect(409)).body.code).toBe('SALES_PAUSED');
    expect((await enter(t, user, 'not-a-uuid').expect(400)).body.code).toBe('VALIDATION_FAILED');
    await t.http().get(`/concerts/${closed.id}/queue-entry`).expect(401);
  });
});

describe('Queue: position, leaving and admission', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
  });
  afterAll(() => t.close());

  it('GET /concerts/:id/queue reads the place without entering, 404 when not queued', async () => {
    const concert = await createConcert(t);
    const user = await createUser(t);
    expect((await stateOf(t, user, concert.id).expect(404)).body.code).toBe('QUEUE_ENTRY_NOT_FOUND');
    await enter(t, user, concert.id).expect(201);
    expect((await stateOf(t, user, concert.id).expect(200)).body).toMatchObject({
      queuePosition: 1,
      status: 'ACTIVE',
    });
  });

  it('admits the next user at once when an active user leaves', async () => {
    const concert = await createConcert(t, { capacity: 2 });
    const users = await createUsers(t, 4);
    for (const user of users) await enter(t, user, concert.id);

    await t.http().delete(`/concerts/${concert.id}/queue-entry`).set(users[0]!.headers).expect(204);

    expect((await stateOf(t, users[2]!, concert.id)).body).toMatchObject({
      queuePosition: 2,
      status: 'ACTIVE',
    });
    expect((await stateOf(t, users[3]!, concert.id)).body).toMatchObject({
      queuePosition: 3,
      status: 'WAITING',
    });
    expect((await stateOf(t, users[0]!, concert.id).expect(410)).body).toMatchObject({
      code: 'QUEUE_ENTRY_ENDED',
      details: { reason: 'LEFT' },
    });
    expect(await activeCount(t, concert.id)).toBe(2);
  });

  it('moves everyone behind a waiting user who leaves one place up', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const users = await createUsers(t, 5);
    for (const user of users) await enter(t, user, concert.id);

    await t.http().delete(`/concerts/${concert.id}/queue-entry`).set(users[2]!.headers).expect(204);
    await t.http().delete(`/concerts/${concert.id}/queue-entry`).set(users[2]!.headers).expect(204);

    const positions = [];
    for (const user of [users[1]!, users[3]!, users[4]!])
      positions.push((await stateOf(t, user, concert.id)).body.queuePosition);
    expect(positions).toEqual([2, 3, 4]);
    // A newcomer after the hole is counted right too.
    expect((await enter(t, await createUser(t), concert.id)).body.queuePosition).toBe(5);
  });

  it('gates reservations: refuses a waiting user and a lapsed window, by the database clock', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [active, waiting] = await createUsers(t, 2);
    await enter(t, active!, concert.id);
    await enter(t, waiting!, concert.id);
    // The gate as the seat routes apply it.
    const gate = (user: TestUser) => t.http().get(`/reservation/${concert.id}/seats`).set(user.headers);

    await gate(active!).expect(200);
    expect((await gate(waiting!).expect(403)).body).toMatchObject({ code: 'QUEUE_NOT_ACTIVE' });

    // The window lapses; nothing has swept it yet.
    await t.db.query(`UPDATE queue_entries SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      active!.id,
    ]);
    expect((await gate(active!).expect(403)).body).toMatchObject({
      code: 'QUEUE_NOT_ACTIVE',
      details: { reason: 'EXPIRED', endedAt: expect.any(String) },
    });
    expect((await stateOf(t, active!, concert.id).expect(410)).body.details).toMatchObject({
      reason: 'EXPIRED',
    });
  });

  it('re-enters a user whose window lapsed at the back, admitting the next one', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id);
    await enter(t, second!, concert.id);
    await t.db.query(`UPDATE queue_entries SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [
      first!.id,
    ]);

    const again = await enter(t, first!, concert.id).expect(201);
    expect(again.body).toMatchObject({ queuePosition: 2, status: 'WAITING' });
    expect((await stateOf(t, second!, concert.id)).body).toMatchObject({
      queuePosition: 1,
      status: 'ACTIVE',
    });
  });

  it('lists the caller’s queue state per concert in GET /concerts', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id);
    await enter(t, second!, concert.id);
    const res = await t.http().get('/concerts').set(second!.headers).expect(200);
    const row = res.body.queueEntries.find((entry: { concertId: string }) => entry.concertId === concert.id);
    expect(row).toMatchObject({ queuePosition: 2, status: 'WAITING', estimatedWaitTime: expect.any(String) });
  });
});

describe('Queue: the sweeper', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ EXPIRY_SWEEP_INTERVAL_MS: 100, QUEUE_WINDOW_SECONDS: 1 });
  });
  afterAll(() => t.close());

  it('admits the sixth user when a window expires', async () => {
    const concert = await createConcert(t, { windowSeconds: 1 });
    const users = await createUsers(t, 6);
    // Each claims at once (a poll), so their windows of 1 s lapse as EXPIRED.
    for (const user of users.slice(0, 5)) {
      await enter(t, user, concert.id);
      await stateOf(t, user, concert.id).expect(200);
    }
    // Later entrants get later windows: only the sixth is left waiting once the first five lapse.
    expect((await enter(t, users[5]!, concert.id)).body.status).toBe('WAITING');

    await waitFor(async () => (await stateOf(t, users[5]!, concert.id)).body.status === 'ACTIVE');
    expect(await activeCount(t, concert.id)).toBeLessThanOrEqual(5);
    expect((await stateOf(t, users[0]!, concert.id).expect(410)).body.details).toMatchObject({
      reason: 'EXPIRED',
    });
  });

  it('never exceeds the capacity with two app instances sweeping one database', async () => {
    const second = await createTestApp({ EXPIRY_SWEEP_INTERVAL_MS: 100 }, { databaseUrl: t.databaseUrl });
    try {
      // Claims in play: half the users poll (a poll that sees ACTIVE claims, and the window
      // starts then), the others never come back and lapse as NO_SHOW after the claim time.
      const concert = await createConcert(t, { capacity: 3, windowSeconds: 1, claimSeconds: 1 });
      const users = await createUsers(t, 30);
      let maxActive = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxActive = Math.max(maxActive, await activeCount(t, concert.id));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await Promise.all(users.map((user, i) => enter(i % 2 ? second : t, user, concert.id).expect(201)));
      // Everyone is admitted in turn as windows lapse: 30 users, 3 at a time, 1 s each.
      await waitFor(async () => {
        await Promise.all(
          users.filter((_, i) => i % 2).map((user, i) => stateOf(i % 2 ? second : t, user, concert.id)),
        );
        const { rows } = await t.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM queue_entries WHERE concert_id = $1 AND activated_at IS NOT NULL`,
          [concert.id],
        );
        return rows[0]!.n === 30;
      }, 30_000);
      sampling = false;
      await sampler;
      expect(maxActive).toBeLessThanOrEqual(3);
      const { rows } = await t.db.query(
        `SELECT active_count, activated_count FROM queues WHERE concert_id = $1`,
        [concert.id],
      );
      expect(Number(rows[0].activated_count)).toBe(30);
      expect(rows[0].active_count).toBe(await activeCount(t, concert.id));
      const { rows: ends } = await t.db.query<{ status: string; claimed: boolean }>(
        `SELECT status, claimed_at IS NOT NULL AS claimed FROM queue_entries WHERE concert_id = $1 AND status <> 'ACTIVE'`,
        [concert.id],
      );
      expect(ends.some((end) => end.status === 'NO_SHOW' && !end.claimed)).toBe(true);
      expect(ends.some((end) => end.status === 'EXPIRED' && end.claimed)).toBe(true);
    } finally {
      await second.close();
    }
  });
});
