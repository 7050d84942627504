import { randomUUID } from 'node:crypto';
import { freePort } from '../../src/database/embedded-database.js';
import { ExpirySweeper } from '../../src/expiry/expiry-sweeper.js';
import { createConcert } from '../factories/concert.factory.js';
import { parseExposition, sampleValue, type Exposition } from '../helpers/prometheus-text.js';
import { createTestApp, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'metrics-token-for-tests-0123456789';
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

async function scrape(t: TestApp): Promise<Exposition> {
  const response = await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(response.text);
}

async function count(t: TestApp, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await t.db.query<{ n: string | number }>(sql, params);
  return Number(rows[0]!.n);
}

describe('GET /metrics', () => {
  it('is off when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    const t = await createTestApp({ SWEEPER_ENABLED: false });
    try {
      const response = await t.http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
      expect(response.body.code).toBe('ROUTE_NOT_FOUND');
    } finally {
      await t.close();
    }
  });

  it('on METRICS_PORT is served on that port only, and counts statement timeouts', async () => {
    const port = await freePort();
    const t = await createTestApp({
      SWEEPER_ENABLED: false,
      METRICS_PORT: port,
      HOST: '127.0.0.1',
      DATABASE_STATEMENT_TIMEOUT_MS: 300,
    });
    const metricsUrl = `http://127.0.0.1:${port}/metrics`;
    try {
      await t.http().get('/metrics').expect(404);
      const response = await fetch(metricsUrl);
      expect(response.status).toBe(200);
      expect(await response.text()).toMatch(/^sail_db_pool_max_connections 10$/m);
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);

      // Leaving waits for the concert's queue row; held elsewhere, the statement times out (503).
      const concert = await createConcert(t);
      const [user] = await createUsers(t, 1);
      await t.http().post(`/concerts/${concert.id}/queue-entry`).set(user!.headers).expect(201);
      const blocker = await t.db.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query('SELECT 1 FROM queues WHERE concert_id = $1 FOR UPDATE', [concert.id]);
        await t.http().delete(`/concerts/${concert.id}/queue-entry`).set(user!.headers).expect(503);
      } finally {
        await blocker.query('ROLLBACK');
        blocker.release();
      }
      const metrics = parseExposition(await (await fetch(metricsUrl)).text());
      expect(sampleValue(metrics, 'sail_db_statement_timeouts_total')).toBe(1);
    } finally {
      await t.close();
    }
  });

  describe('with METRICS_TOKEN', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await createTestApp({
        METRICS_TOKEN: TOKEN,
        SWEEPER_ENABLED: false,
        METRICS_INVARIANTS_INTERVAL_MS: 200,
      });
    });
    afterAll(() => t.close());

    it('refuses a request without the token, or with another one', async () => {
      for (const authorization of [undefined, 'Bearer wrong-token-of-the-same-size-00', `Basic ${TOKEN}`]) {
        const request = t.http().get('/metrics');
        if (authorization) void request.set('Authorization', authorization);
        const response = await request.expect(401);
        expect(response.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
        expect(response.text).not.toContain('sail_');
      }
    });

    it('labels requests by route pattern and status class, never by the raw URL', async () => {
      const [user] = await createUsers(t, 1);
      const concert = await createConcert(t);
      await t.http().get(`/concerts/${concert.id}/queue`).set(user!.headers).expect(404);
      await t.http().get(`/no/such/${randomUUID()}`).expect(404);
      const metrics = await scrape(t);
      const count = (labels: Record<string, string>) =>
        sampleValue(metrics, 'sail_http_request_duration_seconds_count', labels);
      expect(
        count({ method: 'GET', route: '/concerts/:concertId/queue', status_class: '4xx' }),
      ).toBeGreaterThanOrEqual(1);
      expect(count({ method: 'GET', route: 'unmatched', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
      for (const sample of metrics.samples)
        for (const [label, value] of Object.entries(sample.labels))
          if (label !== 'concert_id') expect(`${label}=${value}`).not.toMatch(UUID);
    });

    it('follows Prometheus naming conventions', async () => {
      const metrics = await scrape(t);
      expect(metrics.types.size).toBeGreaterThan(30);
      for (const [name, type] of metrics.types) {
        expect(name).toMatch(/^(sail|process|nodejs)_[a-z0-9_]+$/);
        expect(metrics.help.get(name)).toBeTruthy();
        // Counters end in _total, and none of ours else does (prom-client's own
        // nodejs_active_*_total gauges predate the rule); units are base units, named last.
        if (type === 'counter') expect(name).toMatch(/_total$/);
        else if (name.startsWith('sail_')) expect(name).not.toMatch(/_total$/);
        expect(name).not.toMatch(/_(ms|milliseconds|minutes|hours|kb|mb|kilobytes|megabytes|percent)(_|$)/);
        if (type === 'histogram' && name.startsWith('sail_')) expect(name).toMatch(/_seconds$/);
      }
      for (const sample of metrics.samples)
        for (const label of Object.keys(sample.labels)) expect(label).toMatch(/^[a-z][a-z0-9_]*$/);
    });

    it('exports runtime metrics: event-loop delay, heap, pool, statement timeouts, sweeper lag', async () => {
      const metrics = await scrape(t);
      for (const name of [
        'nodejs_eventloop_lag_p99_seconds',
        'nodejs_heap_size_used_bytes',
        'sail_db_pool_waiting_requests',
        'sail_db_statement_timeouts_total',
        'sail_database_up',
      ])
        expect(sampleValue(metrics, name)).toBeDefined();
      expect(sampleValue(metrics, 'sail_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(metrics, 'sail_database_up')).toBe(1);
      for (const kind of ['window', 'hold'])
        expect(sampleValue(metrics, 'sail_sweeper_lag_seconds', { kind })).toBe(0);
    });

    it('reports how late the oldest lapsed hold is while the sweeper is off', async () => {
      const concert = await createConcert(t, { seats: 1 });
      // A hold as hold_seats writes it, seat and reservation with one expiry: the lag is read
      // from the reservation (reservations_lapsing_idx), seats having no index on held_until.
      await t.db.query(
        `WITH held AS (
           UPDATE seats SET status = 'HELD', held_until = now() - interval '30 seconds' WHERE id = $1
           RETURNING id, concert_id, price, held_until),
         buyer AS (
           INSERT INTO users (email, password_hash) VALUES ('hold-lag@example.com', 'test-no-login') RETURNING id)
         INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
         SELECT buyer.id, held.concert_id, held.id, held.price, held.held_until FROM held, buyer`,
        [concert.seatIds[0]],
      );
      try {
        await waitFor(
          async () => (sampleValue(await scrape(t), 'sail_sweeper_lag_seconds', { kind: 'hold' }) ?? 0) >= 30,
        );
      } finally {
        await t.db.query(
          `WITH expired AS (UPDATE reservations SET status = 'EXPIRED' WHERE seat_id = $1 AND status = 'PENDING')
           UPDATE seats SET status = 'AVAILABLE', held_until = NULL WHERE id = $1`,
          [concert.seatIds[0]],
        );
      }
    });

    it('turns an invariant gauge to 1 when the invariant breaks, and back to 0 when repaired', async () => {
      const concert = await createConcert(t, { seats: 2 });
      const [user] = await createUsers(t, 1);
      const gauge = async (invariant: string) =>
        sampleValue(await scrape(t), 'sail_invariant_violations', { invariant });
      await waitFor(async () => (await gauge('sold_seat_unconfirmed')) === 0);
      expect(sampleValue(await scrape(t), 'sail_invariants_checker')).toBe(1);

      // A seat marked SOLD with no confirmed reservation: a seat sold without a sale.
      await t.db.query(`UPDATE seats SET status = 'SOLD' WHERE id = $1`, [concert.seatIds[0]]);
      await waitFor(async () => (await gauge('sold_seat_unconfirmed')) === 1);
      await t.db.query(`UPDATE seats SET status = 'AVAILABLE' WHERE id = $1`, [concert.seatIds[0]]);
      await waitFor(async () => (await gauge('sold_seat_unconfirmed')) === 0);

      // Points out of nowhere: a balance that its ledger does not explain.
      await t.db.query(`INSERT INTO point_wallets (user_id, balance) VALUES ($1, 500)`, [user!.id]);
      await waitFor(async () => (await gauge('wallet_ledger_mismatch')) === 1);
      await t.db.query(`DELETE FROM point_wallets WHERE user_id = $1`, [user!.id]);
      await waitFor(async () => (await gauge('wallet_ledger_mismatch')) === 0);

      // More ACTIVE windows than the capacity allows.
      const crowded = await createConcert(t, { capacity: 1 });
      const users = await createUsers(t, 2);
      await t.db.query(
        `INSERT INTO queue_entries (concert_id, user_id, ticket, status, activated_at, expires_at)
         SELECT $1, u, n, 'ACTIVE', now(), now() + interval '5 minutes'
         FROM unnest($2::uuid[]) WITH ORDINALITY AS a(u, n)`,
        [crowded.id, users.map((u) => u.id)],
      );
      await waitFor(async () => (await gauge('queue_over_capacity')) === 1);
      await t.db.query(`DELETE FROM queue_entries WHERE concert_id = $1`, [crowded.id]);
      await waitFor(async () => (await gauge('queue_over_capacity')) === 0);
    });
  });

  describe('after a scripted sale', () => {
    let t: TestApp;
    let concert: { id: string; seatIds: string[] };
    let buyers: TestUser[];

    beforeAll(async () => {
      t = await createTestApp({ METRICS_TOKEN: TOKEN, SWEEPER_ENABLED: false });
      concert = await createConcert(t, { capacity: 2, seats: 6, price: 1_000 });
      buyers = await createUsers(t, 4);
      const [first, second, third, fourth] = buyers as [TestUser, TestUser, TestUser, TestUser];
      const charge = (user: TestUser, key: string) =>
        t
          .http()
          .patch('/points/charge')
          .set(user.headers)
          .set('Idempotency-Key', key)
          .send({ amount: 5_000 })
          .expect(200);
      const enter = (user: TestUser) =>
        t.http().post(`/concerts/${concert.id}/queue-entry`).set(user.headers).expect(201);
      const hold = async (user: TestUser, seatIds: string[]) =>
        (
          await t
            .http()
            .post('/reservation/seat')
            .set(user.headers)
            .send({ concertId: concert.id, seatIds })
            .expect(201)
        ).body.reservations.map((reservation: { id: string }) => reservation.id) as string[];
      const pay = (user: TestUser, reservationIds: string[], key?: string) => {
        const request = t.http().post('/payment').set(user.headers);
        if (key) void request.set('Idempotency-Key', key);
        return request.send({ reservationIds }).expect(200);
      };
      const seats = concert.seatIds;

      const chargeKey = randomUUID();
      await charge(first, chargeKey);
      await charge(first, chargeKey); // a retry: charged once
      for (const user of [second, third]) await charge(user, randomUUID());

      await enter(first); // ACTIVE
      await enter(second); // ACTIVE
      await enter(third); // WAITING
      await enter(fourth); // WAITING, then leaves
      await t.http().delete(`/concerts/${concert.id}/queue-entry`).set(fourth.headers).expect(204);

      const payKey = randomUUID();
      const firstHolds = await hold(first, [seats[0]!, seats[1]!]);
      await pay(first, firstHolds, payKey);
      await pay(first, firstHolds, payKey); // a retry: paid once

      const [cancelled] = await hold(second, [seats[2]!]);
      await t.http().delete(`/reservation/${cancelled}`).set(second.headers).expect(204);
      await hold(second, [seats[3]!]);
      // The hold and the window lapse; one sweeper pass ends both and admits the third buyer.
      await t.db.query(
        `UPDATE reservations SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND status = 'PENDING'`,
        [second.id],
      );
      await t.db.query(`UPDATE seats SET held_until = now() - interval '1 second' WHERE id = $1`, [seats[3]]);
      await t.db.query(
        `UPDATE queue_entries SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [second.id],
      );
      await t.app.get(ExpirySweeper).tick();

      await pay(third, await hold(third, [seats[4]!]));
    });
    afterAll(() => t.close());

    it('event counters match the database', async () => {
      const metrics = await scrape(t);
      const value = (name: string, labels?: Record<string, string>) => sampleValue(metrics, name, labels);
      expect(value('sail_holds_created_total')).toBe(
        await count(t, 'SELECT count(*) AS n FROM reservations'),
      );
      for (const [reason, status] of [
        ['paid', 'CONFIRMED'],
        ['cancelled', 'CANCELLED'],
        ['expired', 'EXPIRED'],
      ] as const)
        expect([reason, value('sail_holds_ended_total', { reason })]).toEqual([
          reason,
          await count(t, 'SELECT count(*) AS n FROM reservations WHERE status = $1', [status]),
        ]);
      expect(value('sail_payments_total')).toBe(await count(t, 'SELECT count(*) AS n FROM payments'));
      expect(value('sail_points_spent_total')).toBe(
        await count(t, 'SELECT coalesce(sum(total_amount), 0) AS n FROM payments'),
      );
      expect(value('sail_points_charged_total')).toBe(
        await count(t, `SELECT coalesce(sum(amount), 0) AS n FROM point_ledger WHERE type = 'CHARGE'`),
      );
      for (const [reason, status] of [
        ['left', 'LEFT'],
        ['expired', 'EXPIRED'],
      ] as const)
        expect([reason, value('sail_queue_entries_ended_total', { reason })]).toEqual([
          reason,
          await count(t, 'SELECT count(*) AS n FROM queue_entries WHERE status = $1', [status]),
        ]);
      // The script did what it says: 3 sold, 1 cancelled, 1 expired; 1 left, 1 expired.
      expect(value('sail_holds_ended_total', { reason: 'paid' })).toBe(3);
      expect(value('sail_payments_total')).toBe(2);
      expect(value('sail_points_charged_total')).toBe(15_000);
    });

    it('per-concert figures match the queue row and the seats', async () => {
      const metrics = await scrape(t);
      const value = (name: string, labels: Record<string, string> = {}) =>
        sampleValue(metrics, name, { concert_id: concert.id, ...labels });
      const { rows } = await t.db.query<Record<string, string>>(
        `SELECT * FROM queues WHERE concert_id = $1`,
        [concert.id],
      );
      const queue = rows[0]!;
      expect(value('sail_queue_entered_total')).toBe(Number(queue.last_ticket));
      expect(value('sail_queue_admitted_total')).toBe(Number(queue.activated_count));
      expect(value('sail_queue_active')).toBe(Number(queue.active_count));
      expect(value('sail_queue_left_waiting_total')).toBe(
        await count(
          t,
          `SELECT count(*) AS n FROM queue_entries WHERE concert_id = $1 AND activated_at IS NULL AND status NOT IN ('WAITING', 'ACTIVE')`,
          [concert.id],
        ),
      );
      expect(value('sail_queue_waiting')).toBe(
        await count(
          t,
          `SELECT count(*) AS n FROM queue_entries WHERE concert_id = $1 AND status = 'WAITING'`,
          [concert.id],
        ),
      );
      expect(value('sail_queue_windows_ended_total')).toBe(
        await count(
          t,
          `SELECT count(*) AS n FROM queue_entries WHERE concert_id = $1 AND activated_at IS NOT NULL AND status <> 'ACTIVE'`,
          [concert.id],
        ),
      );
      for (const status of ['AVAILABLE', 'HELD', 'SOLD'])
        expect([status, value('sail_seats', { status })]).toEqual([
          status,
          await count(t, 'SELECT count(*) AS n FROM seats WHERE concert_id = $1 AND status = $2', [
            concert.id,
            status,
          ]),
        ]);
      expect(value('sail_concert_sales_points_total')).toBe(
        await count(
          t,
          `SELECT coalesce(sum(price), 0) AS n FROM reservations WHERE concert_id = $1 AND status = 'CONFIRMED'`,
          [concert.id],
        ),
      );
      expect(value('sail_concert_info', { sales_state: 'ON_SALE' })).toBe(1);
    });

    it('labels only concerts on sale or paused', async () => {
      const closed = await createConcert(t, { salesState: 'CLOSED' });
      await new Promise((resolve) => setTimeout(resolve, 5_100)); // past the shared read's age
      const metrics = await scrape(t);
      const labelled = new Set(metrics.samples.map((sample) => sample.labels.concert_id).filter(Boolean));
      expect(labelled).toEqual(new Set([concert.id]));
      expect(labelled.has(closed.id)).toBe(false);
      expect(sampleValue(metrics, 'sail_concerts_on_sale')).toBe(1);
    });
  });
});
