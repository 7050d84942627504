import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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

  /** Until a draw_pre_queue statement waits for a lock (the row a test transaction holds). */
  async function drawWaitsForALock(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const waiting = await t.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%draw_pre_queue(%'
           AND pid <> pg_backend_pid()`,
      );
      if (waiting.rowCount) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error('the draw never waited for the held row');
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

  describe('entries while the draw runs (nobody waits on its lock)', () => {
    const DRAWN = 30;
    const WAVES = 3;
    const PER_WAVE = 5;
    /** Far above an entry's time on an idle test database, far below the draw held open here. */
    const ENTRY_BOUND_MS = 1_000;

    it('answer at once, queue behind every drawn entry in arrival order, and the draw stays exact and once', async () => {
      const concertId = await createConcert({ salesOpenAt: inMs(HOUR_MS) });
      const fans = await createUsers(t, DRAWN + 1);
      await Promise.all(fans.map((fan) => enter(fan, concertId).expect(201)));
      await reachOpening(concertId);
      const [leaver, ...entrants] = fans;

      // The opening's short step, as a sweeper takes it: k reserved, the sales open.
      const { rows: opening } = await t.db.query('SELECT outcome, tickets FROM open_sales_for_draw($1)', [
        concertId,
      ]);
      expect(opening[0]).toEqual({ outcome: 'OPENED', tickets: DRAWN + 1 });
      // An entrant who leaves before the draw's tickets: its reserved ticket becomes a departure.
      await t.http().delete(`/concerts/${concertId}/queue-entry`).set(leaver!.headers).expect(204);

      // The draw, slowed down: a test transaction holds one entrant's row, so the draw waits
      // for it in the middle of its work, holding what it has locked (as a long draw would).
      const blocker = await t.db.connect();
      const drawer = await t.db.connect();
      const late: { fan: TestUser; wave: number }[] = [];
      const entryMs: number[] = [];
      let drawing: Promise<unknown> | undefined;
      try {
        await blocker.query('BEGIN');
        await blocker.query(`SELECT 1 FROM queue_entries WHERE concert_id = $1 AND user_id = $2 FOR UPDATE`, [
          concertId,
          entrants[0]!.id,
        ]);
        const drawStartedAt = performance.now();
        drawing = drawer.query('SELECT outcome, entrants, admitted FROM draw_pre_queue($1)', [concertId]);
        await drawWaitsForALock();

        for (let wave = 0; wave < WAVES; wave++) {
          const arrivals = await createUsers(t, PER_WAVE);
          const answers = await Promise.all(
            arrivals.map(async (fan) => {
              const startedAt = performance.now();
              const res = await enter(fan, concertId);
              entryMs.push(performance.now() - startedAt);
              return res;
            }),
          );
          for (const [i, res] of answers.entries()) {
            expect(res.status).toBe(201);
            // Behind all reserved tickets (the leaver's counts once the draw commits).
            expect(res.body).toMatchObject({ status: 'WAITING' });
            expect(res.body.queuePosition).toBeGreaterThan(DRAWN + 1);
            late.push({ fan: arrivals[i]!, wave });
          }
        }
        // Polls meanwhile: a pre-queued entrant is told to come back shortly.
        const polled = await queueState(entrants[1]!, concertId).expect(200);
        expect(polled.body).toMatchObject({ status: 'PRE_QUEUE', queuePosition: null });
        expect(polled.body.retryAfterMs).toBeLessThanOrEqual(3_000);
        // Both replicas' sweepers find the draw busy: neither draws it again nor admits anyone.
        const sweeps = await Promise.all(
          [t, replica].map((app) => app.app.get(QueueService).drawDuePreQueues()),
        );
        expect(sweeps.map((sweep) => sweep.drawn)).toEqual([0, 0]);
        expect(
          await t.db.query(`SELECT 1 FROM queue_entries WHERE concert_id = $1 AND status = 'ACTIVE'`, [
            concertId,
          ]),
        ).toMatchObject({ rowCount: 0 });

        // The draw lasts longer than the bound; every entry answered well within it.
        const heldMs = performance.now() - drawStartedAt;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, ENTRY_BOUND_MS + 200 - heldMs)));
        await blocker.query('COMMIT');
        const { rows: drawn } = (await drawing) as { rows: unknown[] };
        expect(drawn[0]).toEqual({ outcome: 'DRAWN', entrants: DRAWN, admitted: CAPACITY });
        expect(performance.now() - drawStartedAt).toBeGreaterThan(ENTRY_BOUND_MS);
        expect(Math.max(...entryMs)).toBeLessThan(ENTRY_BOUND_MS);
      } finally {
        await blocker.query('ROLLBACK').catch(() => undefined);
        await drawing?.catch(() => undefined);
        blocker.release();
        drawer.release();
      }

      // The drawn entrants hold 1..k; the late ones follow, each wave after the one before it.
      const { rows } = await t.db.query<{ userId: string; ticket: number }>(
        `SELECT user_id AS "userId", ticket::int FROM queue_entries
         WHERE concert_id = $1 AND status IN ('WAITING', 'ACTIVE') ORDER BY ticket`,
        [concertId],
      );
      const ticketOf = new Map(rows.map((row) => [row.userId, row.ticket]));
      expect(entrants.map((fan) => ticketOf.get(fan.id)).sort((a, b) => a! - b!)).toEqual(
        Array.from({ length: DRAWN }, (_, i) => i + 1),
      );
      const lateTickets = late.map(({ fan }) => ticketOf.get(fan.id)!);
      expect([...lateTickets].sort((a, b) => a - b)).toEqual(
        Array.from({ length: WAVES * PER_WAVE }, (_, i) => DRAWN + 2 + i),
      );
      for (let wave = 1; wave < WAVES; wave++) {
        const before = late
          .filter((entry) => entry.wave === wave - 1)
          .map(({ fan }) => ticketOf.get(fan.id)!);
        const after = late.filter((entry) => entry.wave === wave).map(({ fan }) => ticketOf.get(fan.id)!);
        expect(Math.max(...before)).toBeLessThan(Math.min(...after));
      }
      // Exact positions: everyone drawn is ahead, the leaver's reserved ticket is not.
      for (const { fan } of late) {
        const state = (await queueState(fan, concertId).expect(200)).body;
        expect(state).toMatchObject({ status: 'WAITING', queuePosition: ticketOf.get(fan.id)! - 1 });
      }
      const again = await Promise.all(
        [t, replica].map((app) => app.app.get(QueueService).drawDuePreQueues()),
      );
      expect(again.map((sweep) => sweep.drawn)).toEqual([0, 0]);
      expect((await draw(concertId).expect(200)).body).toMatchObject({ entrants: DRAWN });
      expect(await checkInvariants(t.db)).toEqual([]);
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
