import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { QueueService } from '../../src/queue/queue.service.js';
import { checkInvariants } from '../helpers/invariants.js';
import { createTestApp, createUser, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';

const run = promisify(execFile);
const CAPACITY = 3;
const PRE_QUEUED = 12;
const HOUR_MS = 3_600_000;

/** The README's audit script, exactly as a fan would copy it. */
async function readmeCheckDrawScript(): Promise<string> {
  const readme = await readFile(join(process.cwd(), 'README.md'), 'utf8');
  const block = /```js\n(\/\/ check-draw\.mjs[\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no check-draw.mjs block');
  return block[1]!;
}

describe('The pre-queue and its draw', () => {
  let t: TestApp;
  /** A second replica on the same database, sweeping too. */
  let replica: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
    replica = await createTestApp({ SWEEPER_ENABLED: false }, { databaseUrl: t.databaseUrl });
    admin = await createUser(t, { role: 'ADMIN' });
  });
  afterAll(async () => {
    await replica.close();
    await t.close();
  });

  const enter = (user: TestUser, concertId: string) =>
    t.http().post(`/concerts/${concertId}/queue-entry`).set(user.headers);
  const queueState = (user: TestUser, concertId: string) =>
    t.http().get(`/concerts/${concertId}/queue`).set(user.headers);
  const draw = (concertId: string, query = '') => t.http().get(`/concerts/${concertId}/draw${query}`);
  const stats = (concertId: string) => t.http().get(`/admin/concerts/${concertId}`).set(admin.headers);
  const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

  async function createConcert(body: Record<string, unknown>): Promise<string> {
    const res = await t
      .http()
      .post('/admin/concerts')
      .set(admin.headers)
      .send({
        name: 'Opening night',
        venue: 'Hall',
        startsAt: inMs(48 * HOUR_MS),
        queueCapacity: CAPACITY,
        layout: { rows: [{ label: 'A', seats: 10, price: 1_000 }] },
        // The pre-queue open already, an hour before an opening an hour ahead.
        preQueueOpensSeconds: 7200,
        ...body,
      })
      .expect(201);
    return res.body.id as string;
  }

  /** The opening reached: moved to now by the database clock, as if the time had come. */
  const reachOpening = (concertId: string) =>
    t.db.query('UPDATE concerts SET sales_open_at = clock_timestamp() WHERE id = $1', [concertId]);

  it('refuses entry before the pre-queue opens, and lists the concert UPCOMING', async () => {
    const salesOpenAt = inMs(2 * HOUR_MS);
    const concertId = await createConcert({ salesOpenAt, preQueueOpensSeconds: 600 });
    const fan = await createUser(t);

    const res = await enter(fan, concertId).expect(409);
    expect(res.body).toMatchObject({
      code: 'PRE_QUEUE_NOT_OPEN',
      details: {
        concertId,
        salesOpenAt,
        preQueueOpensAt: new Date(Date.parse(salesOpenAt) - 600_000).toISOString(),
      },
    });
    const listed = (await t.http().get('/concerts').set(fan.headers).expect(200)).body.queueEntries.find(
      (entry: { concertId: string }) => entry.concertId === concertId,
    );
    expect(listed).toMatchObject({ salesState: 'UPCOMING', salesOpenAt, queuePosition: null, status: null });
    expect((await stats(concertId).expect(200)).body).toMatchObject({
      salesState: 'UPCOMING',
      preQueueLength: 0,
    });
    expect(await t.db.query('SELECT 1 FROM queue_entries WHERE concert_id = $1', [concertId])).toMatchObject({
      rowCount: 0,
    });
  });

  it('admits nobody before the opening: seat maps and holds answer SALES_NOT_OPEN', async () => {
    const salesOpenAt = inMs(HOUR_MS);
    const concertId = await createConcert({ salesOpenAt });
    const fan = await createUser(t);
    await enter(fan, concertId).expect(201);
    const { rows: seats } = await t.db.query<{ id: string }>('SELECT id FROM seats WHERE concert_id = $1', [
      concertId,
    ]);

    const seatMap = await t.http().get(`/reservation/${concertId}/seats`).set(fan.headers).expect(409);
    expect(seatMap.body).toMatchObject({
      code: 'SALES_NOT_OPEN',
      details: { salesOpenAt, salesState: 'UPCOMING' },
    });
    const hold = await t
      .http()
      .post('/reservation/seat')
      .set(fan.headers)
      .send({ concertId, seatIds: [seats[0]!.id] })
      .expect(409);
    expect(hold.body).toMatchObject({ code: 'SALES_NOT_OPEN', details: { salesOpenAt } });
    // No hold can exist before the opening, so no payment of this concert can either.
    expect(
      await t.db.query("SELECT 1 FROM reservations WHERE concert_id = $1 OR status = 'CONFIRMED'", [
        concertId,
      ]),
    ).toMatchObject({ rowCount: 0 });
    expect(
      await t.db.query("SELECT 1 FROM seats WHERE concert_id = $1 AND status <> 'AVAILABLE'", [concertId]),
    ).toMatchObject({
      rowCount: 0,
    });
  });

  describe('a concert whose pre-queue is drawn with two replicas sweeping', () => {
    let concertId: string;
    let fans: TestUser[];
    let leaver: TestUser;
    let commitmentBefore: string;
    let entryIdOf: Map<string, string>;

    beforeAll(async () => {
      concertId = await createConcert({ salesOpenAt: inMs(HOUR_MS) });
      fans = await createUsers(t, PRE_QUEUED);
      leaver = await createUser(t);
    });

    it('puts everyone who enters before the opening in the pre-queue, with no position', async () => {
      const entered = await Promise.all([...fans, leaver].map((fan) => enter(fan, concertId)));
      entryIdOf = new Map();
      for (const [i, res] of entered.entries()) {
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ status: 'PRE_QUEUE', queuePosition: null, queueTicket: null });
        expect(res.body.retryAfterMs).toBeGreaterThan(HOUR_MS - 60_000);
        entryIdOf.set([...fans, leaver][i]!.id, res.body.entryId as string);
      }
      expect(new Set(entryIdOf.values()).size).toBe(PRE_QUEUED + 1);

      const again = await enter(fans[0]!, concertId).expect(200);
      expect(again.body).toMatchObject({ status: 'PRE_QUEUE', entryId: entryIdOf.get(fans[0]!.id) });
      const polled = await queueState(fans[1]!, concertId).expect(200);
      expect(polled.body).toMatchObject({ status: 'PRE_QUEUE', queuePosition: null });
      expect((await stats(concertId).expect(200)).body).toMatchObject({
        salesState: 'UPCOMING',
        preQueueLength: PRE_QUEUED + 1,
        drawnAt: null,
      });
    });

    it('lets a user leave the pre-queue as they would leave the queue', async () => {
      await t.http().delete(`/concerts/${concertId}/queue-entry`).set(leaver.headers).expect(204);
      // As for a queue place (issue 18): the poll tells why the entry ended.
      expect((await queueState(leaver, concertId).expect(410)).body).toMatchObject({
        code: 'QUEUE_ENTRY_ENDED',
        details: { concertId, reason: 'LEFT', endedAt: expect.any(String) },
      });
      expect((await stats(concertId).expect(200)).body.preQueueLength).toBe(PRE_QUEUED);
    });

    it('publishes the commitment before the opening, and no seed or order', async () => {
      const res = await draw(concertId).expect(200);
      expect(res.body).toMatchObject({ drawSeed: null, drawnAt: null, entrants: PRE_QUEUED, entryIds: [] });
      expect(res.body.drawCommitment).toMatch(/^[0-9a-f]{64}$/);
      commitmentBefore = res.body.drawCommitment as string;
    });

    it('draws exactly once when two replicas sweep at the opening', async () => {
      await reachOpening(concertId);
      const results = await Promise.all(
        [t, replica, t, replica].map((app) => app.app.get(QueueService).drawDuePreQueues()),
      );
      expect(results.reduce((sum, result) => sum + result.drawn, 0)).toBe(1);
      expect(results.reduce((sum, result) => sum + result.entrants, 0)).toBe(PRE_QUEUED);
      const { rows } = await t.db.query<{ drawn: number }>(
        `SELECT count(*)::int AS drawn FROM concerts WHERE id = $1 AND drawn_at IS NOT NULL AND draw_entrants = $2`,
        [concertId, PRE_QUEUED],
      );
      expect(rows[0]!.drawn).toBe(1);
      expect((await stats(concertId).expect(200)).body).toMatchObject({
        salesState: 'ON_SALE',
        preQueueLength: 0,
        activeUsers: CAPACITY,
        queueLength: PRE_QUEUED - CAPACITY,
      });
    });

    it("gives positions 1..k in the published seed's order, and reveals a seed matching the commitment", async () => {
      const published = (await draw(concertId).expect(200)).body;
      expect(published).toMatchObject({ drawCommitment: commitmentBefore, entrants: PRE_QUEUED });
      const seed = Buffer.from(published.drawSeed as string, 'hex');
      expect(seed).toHaveLength(32);
      expect(createHash('sha256').update(seed).digest('hex')).toBe(commitmentBefore);

      const positions = await Promise.all(
        fans.map(async (fan) => (await queueState(fan, concertId).expect(200)).body),
      );
      expect(positions.map((state) => state.queuePosition).sort((a, b) => a - b)).toEqual(
        Array.from({ length: PRE_QUEUED }, (_, i) => i + 1),
      );
      for (const [i, fan] of fans.entries()) {
        const entryId = entryIdOf.get(fan.id)!;
        expect(positions[i]).toMatchObject({
          entryId,
          status: positions[i].queuePosition <= CAPACITY ? 'ACTIVE' : 'WAITING',
        });
        expect(published.entryIds.indexOf(entryId) + 1).toBe(positions[i].queuePosition);
      }
    });

    it("is checked by the README's script: the seed's order, the commitment, and a fan's place", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'check-draw-'));
      try {
        const script = join(dir, 'check-draw.mjs');
        await writeFile(script, await readmeCheckDrawScript());
        await t.app.listen(0, '127.0.0.1');
        const fan = fans[PRE_QUEUED - 1]!;
        const { stdout } = await run(process.execPath, [
          script,
          await t.app.getUrl(),
          concertId,
          entryIdOf.get(fan.id)!,
        ]);
        const position = (await queueState(fan, concertId).expect(200)).body.queuePosition as number;
        expect(JSON.parse(stdout)).toEqual({
          commitment: commitmentBefore,
          commitmentMatchesSeed: true,
          orderMatchesSeed: true,
          entrants: PRE_QUEUED,
          yourPlace: position,
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('pages the drawn order', async () => {
      const all = (await draw(concertId).expect(200)).body.entryIds as string[];
      const second = (await draw(concertId, '?page=2&limit=5').expect(200)).body;
      expect(second.entryIds).toEqual(all.slice(5, 10));
      expect(second.pagination).toEqual({ page: 2, limit: 5, total: PRE_QUEUED, totalPages: 3 });
    });

    it('queues later arrivals behind the drawn ones, in arrival order', async () => {
      const late = await createUsers(t, 2);
      const first = await enter(late[0]!, concertId).expect(201);
      const second = await enter(late[1]!, concertId).expect(201);
      expect(first.body).toMatchObject({ status: 'WAITING', queuePosition: PRE_QUEUED + 1 });
      expect(second.body).toMatchObject({ status: 'WAITING', queuePosition: PRE_QUEUED + 2 });
      expect(await checkInvariants(t.db)).toEqual([]);
    });

    it('lets an admitted fan hold a seat once sales are open', async () => {
      const states = await Promise.all(fans.map(async (fan) => (await queueState(fan, concertId)).body));
      const active = fans[states.findIndex((state) => state.status === 'ACTIVE')]!;
      const { rows: seats } = await t.db.query<{ id: string }>(
        'SELECT id FROM seats WHERE concert_id = $1 LIMIT 1',
        [concertId],
      );
      await t
        .http()
        .post('/reservation/seat')
        .set(active.headers)
        .send({ concertId, seatIds: [seats[0]!.id] })
        .expect(201);
    });
  });

  it('takes no pre-queue entry while the operator has paused sales', async () => {
    const concertId = await createConcert({ salesOpenAt: inMs(HOUR_MS) });
    await t
      .http()
      .patch(`/admin/concerts/${concertId}`)
      .set(admin.headers)
      .send({ salesState: 'PAUSED' })
      .expect(200);
    expect((await enter(await createUser(t), concertId).expect(409)).body.code).toBe('SALES_PAUSED');
    await t
      .http()
      .patch(`/admin/concerts/${concertId}`)
      .set(admin.headers)
      .send({ salesState: 'ON_SALE' })
      .expect(200);
    expect((await enter(await createUser(t), concertId).expect(201)).body.status).toBe('PRE_QUEUE');
  });

  it('answers 404 DRAW_NOT_FOUND for a concert that opened at once', async () => {
    const concertId = await createConcert({});
    expect((await draw(concertId).expect(404)).body.code).toBe('DRAW_NOT_FOUND');
  });

  describe('PATCH /admin/concerts/{id} salesOpenAt', () => {
    const patch = (concertId: string, body: Record<string, unknown>) =>
      t.http().patch(`/admin/concerts/${concertId}`).set(admin.headers).send(body);

    it('sets an opening on a concert nobody has queued for yet, with a commitment', async () => {
      const concertId = await createConcert({});
      const salesOpenAt = inMs(HOUR_MS);
      expect((await patch(concertId, { salesOpenAt }).expect(200)).body).toMatchObject({
        salesState: 'UPCOMING',
        salesOpenAt,
      });
      expect((await draw(concertId).expect(200)).body.drawCommitment).toMatch(/^[0-9a-f]{64}$/);
    });

    it('refuses an opening once someone has queued, in the past, or after the close', async () => {
      const concertId = await createConcert({});
      expect((await patch(concertId, { salesOpenAt: inMs(-60_000) }).expect(400)).body.code).toBe(
        'INVALID_SALES_OPEN_AT',
      );
      expect((await patch(concertId, { salesOpenAt: inMs(72 * HOUR_MS) }).expect(400)).body.code).toBe(
        'INVALID_SALES_OPEN_AT',
      );
      await enter(await createUser(t), concertId).expect(201);
      expect((await patch(concertId, { salesOpenAt: inMs(HOUR_MS) }).expect(409)).body.code).toBe(
        'SALES_ALREADY_OPEN',
      );
    });

    it('refuses a concert created with an opening after its close', async () => {
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send({
          name: 'Late',
          venue: 'Hall',
          startsAt: inMs(HOUR_MS),
          salesOpenAt: inMs(2 * HOUR_MS),
          seats: [{ number: 'A1', price: 1 }],
        })
        .expect(400);
      expect(res.body.code).toBe('INVALID_SALES_OPEN_AT');
    });
  });
});
