import type pg from 'pg';
import { FunctionTestDatabase } from '../helpers/database-functions.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  Filter?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

interface Scan {
  /** "Node Type on relation (index) [conditions]" */
  text: string;
  /** Rows (or, for a bitmap index scan, row pointers) it read over all its loops. */
  rowsRead: number;
}

/** The tables a hold or a payment reads or writes, all grown far past their statistics below. */
const TABLES = new Set([
  'concerts',
  'seats',
  'reservations',
  'payments',
  'point_wallets',
  'point_ledger',
  'queue_entries',
  'users',
]);

/** Every scan of those tables (and of their indexes, for a bitmap) in a plan. */
function scans(node: PlanNode): Scan[] {
  const relation = node['Relation Name'] ?? '';
  const own =
    /Scan/.test(node['Node Type']) && (TABLES.has(relation) || node['Node Type'] === 'Bitmap Index Scan')
      ? [
          {
            text:
              `${node['Node Type']} on ${relation || '–'}${node['Index Name'] ? ` (${node['Index Name']})` : ''}` +
              ` [${[node['Index Cond'], node['Recheck Cond'], node.Filter].filter(Boolean).join('; ')}]`,
            rowsRead:
              ((node['Actual Rows'] ?? 0) +
                (node['Rows Removed by Filter'] ?? 0) +
                (node['Rows Removed by Index Recheck'] ?? 0)) *
              (node['Actual Loops'] ?? 1),
          },
        ]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(scans)];
}

/**
 * hold_seats and pay_reservations plan each statement once per connection (plan_cache_mode =
 * force_generic_plan), so a plan made for no particular seat must still be a good one for
 * every seat: each statement they run (and the lock, window and constraint checks they
 * cause) probes an index on every table, on tables that grew to tens of thousands of rows
 * after their statistics were taken. auto_explain reports each nested statement's plan as it
 * runs; plans are read, never timed.
 */
describe('hold_seats and pay_reservations plans on stale statistics', () => {
  let f: FunctionTestDatabase;
  let session: pg.PoolClient;
  const plans: { query: string; scans: Scan[] }[] = [];
  let concertId: string;
  let seatIds: string[];
  let buyers: string[];

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
    const concert = await f.concert({ seats: 12, capacity: 10 });
    concertId = concert.id;
    seatIds = concert.seatIds;
    buyers = [];
    for (let i = 0; i < 4; i++) {
      const userId = await f.user();
      await f.openWindow(concertId, userId);
      await f.fund(userId, 1_000_000);
      buyers.push(userId);
    }
    // Statistics taken while every table is small, then never again.
    const tables = [...TABLES].join(', ');
    for (const table of TABLES) await f.db.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    await f.db.query(`ANALYZE ${tables}`);
    // Then a season's history: concerts, sold seats, their reservations, payments and ledger
    // entries, and ended queue entries, spread over 2,000 users.
    await f.db.query(
      `INSERT INTO users (email, password_hash)
       SELECT format('plan-%s@example.com', n), 'test-no-login' FROM generate_series(1, 2000) AS n`,
    );
    await f.db.query(
      `INSERT INTO concerts (name, venue, starts_at, queue_capacity, queue_window_seconds)
       SELECT 'plan-past-' || n, 'Elsewhere', now() + interval '30 days', 5, 300 FROM generate_series(1, 2000) AS n`,
    );
    await f.db.query(
      `WITH past AS (SELECT id FROM concerts WHERE name = 'plan-past-1'),
            customers AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users WHERE email LIKE 'plan-%'),
            sold AS (
              INSERT INTO seats (concert_id, number, section, position, price, status)
              SELECT past.id, 'P' || n, 'P', n, 100, 'SOLD' FROM past, generate_series(1, 40000) AS n
              RETURNING id, concert_id, position),
            paid AS (
              INSERT INTO payments (user_id, total_amount)
              SELECT c.id, 100 FROM customers c, generate_series(1, 20) RETURNING id, user_id),
            numbered AS (SELECT id, user_id, row_number() OVER (ORDER BY id) AS n FROM paid),
            ledger AS (
              INSERT INTO point_ledger (user_id, type, amount, balance_after, payment_id)
              SELECT user_id, 'PAYMENT', -100, 0, id FROM numbered)
       INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at, status, payment_id)
       SELECT numbered.user_id, sold.concert_id, sold.id, 100, now(), 'CONFIRMED', numbered.id
       FROM sold JOIN numbered ON numbered.n = sold.position`,
    );
    await f.db.query(
      `INSERT INTO point_wallets (user_id, balance) SELECT id, 0 FROM users WHERE email LIKE 'plan-%'`,
    );
    await f.db.query(
      `INSERT INTO queue_entries (concert_id, user_id, ticket, status, ended_at)
       SELECT c.id, u.id, row_number() OVER (PARTITION BY c.id ORDER BY u.id), 'COMPLETED', now()
       FROM (SELECT id FROM concerts WHERE name LIKE 'plan-past-%' ORDER BY name LIMIT 10) c,
            (SELECT id FROM users WHERE email LIKE 'plan-%') u`,
    );

    session = await f.db.connect();
    await session.query(`LOAD 'auto_explain'`);
    await session.query(
      `SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
       SET auto_explain.log_format = json; SET auto_explain.log_level = notice;
       SET auto_explain.log_analyze = on; SET auto_explain.log_timing = off`,
    );
    session.on('notice', (notice) => {
      const json = notice.message?.replace(/^duration: [\d.]+ ms\s+plan:\s*/, '');
      if (!json?.startsWith('{')) return;
      const { 'Query Text': query, Plan: plan } = JSON.parse(json) as {
        'Query Text': string;
        Plan: PlanNode;
      };
      plans.push({ query, scans: scans(plan) });
    });

    // Every path: a hold, the refusals decided with the lock and after it, a hold over a
    // lapsed hold, and payments; each twice on the session, so the second runs cached plans.
    for (const round of [0, 1]) {
      const [buyer, other] = [buyers[round * 2]!, buyers[round * 2 + 1]!];
      const seats = seatIds.slice(round * 6, round * 6 + 6);
      const holds = await f.holdSeats({ userId: buyer, concertId, seatIds: [seats[0]!, seats[1]!] }, session);
      expect(holds.map((row) => row.outcome)).toEqual(['HELD', 'HELD']);
      const taken = await f.holdSeats({ userId: other, concertId, seatIds: [seats[1]!, seats[2]!] }, session);
      expect(taken.map((row) => row.outcome)).toEqual(['SEAT_ALREADY_RESERVED']);
      const missing = await f.holdSeats(
        { userId: other, concertId, seatIds: [seats[2]!, '00000000-0000-4000-8000-000000000000'] },
        session,
      );
      expect(missing.map((row) => row.outcome)).toEqual(['SEAT_NOT_FOUND']);
      const [lapsing] = await f.held(other, concertId, [seats[3]!]);
      await f.lapse(lapsing!);
      const retaken = await f.holdSeats({ userId: buyer, concertId, seatIds: [seats[3]!] }, session);
      expect(retaken.map((row) => row.outcome)).toEqual(['HELD']);
      const paid = await f.payReservations(
        buyer,
        [...holds, ...retaken].map((row) => row.hold_id!),
        session,
      );
      expect(paid.outcome).toBe('PAID');
    }
  }, 120_000);

  afterAll(async () => {
    session?.release();
    await f?.close();
  });

  it('probes an index in every scan of a grown table', () => {
    const everyScan = plans.flatMap((plan) =>
      plan.scans.map((scan) => `${scan.text} in ${plan.query.slice(0, 60)}`),
    );
    // The seats, reservations, wallet and queue entry of every path were read.
    for (const table of ['seats', 'reservations', 'point_wallets', 'queue_entries', 'concerts'])
      expect(everyScan.some((scan) => scan.includes(` on ${table} `))).toBe(true);
    expect(everyScan.filter((scan) => scan.startsWith('Seq Scan'))).toEqual([]);
  });

  it('reads a few rows in every scan, not a walk of every live row', () => {
    // A user's own reservations (20 at most here) are the most any statement needs.
    const walks = plans.flatMap((plan) =>
      plan.scans
        .filter((scan) => scan.rowsRead > 100)
        .map((scan) => `${scan.text}: ${scan.rowsRead} rows in ${plan.query.slice(0, 60)}`),
    );
    expect(walks).toEqual([]);
  });

  it('plans the statements for no particular seat or reservation (generic plans)', () => {
    // A plan made for the values of one call writes them into its conditions as constants.
    const uuidConstant = /'[0-9a-f]{8}-[0-9a-f]{4}-|'\{[0-9a-f]{8}-/;
    const custom = plans
      .flatMap((plan) => plan.scans)
      .filter((scan) => uuidConstant.test(scan.text))
      .map((scan) => scan.text);
    expect(custom).toEqual([]);
  });

  it('has tables the planner still believes are small', async () => {
    const { rows } = await f.db.query<{ relname: string; reltuples: number }>(
      `SELECT relname, reltuples FROM pg_class WHERE relname IN ('seats', 'reservations', 'payments') ORDER BY relname`,
    );
    for (const row of rows) expect(row.reltuples).toBeLessThan(1_000);
  });
});

/**
 * A connection plans hold_seats' statements on its first hold, usually before an on-sale, when
 * the statistics are a quiet season's (every reservation paid, none held) and few holds are
 * live; the rush that follows runs those plans. The hold cap's count must then still read only
 * the user's own reservations, not walk every live hold of the rush (a generic plan once
 * preferred reservations_lapsing_idx there).
 */
describe("hold_seats' cap count planned before a rush", () => {
  let f: FunctionTestDatabase;
  let session: pg.PoolClient;
  const plans: { query: string; scans: Scan[] }[] = [];

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
    const concert = await f.concert({ seats: 4, capacity: 10 });
    const buyer = await f.user();
    await f.openWindow(concert.id, buyer);
    // A season's history, all of it paid, and the statistics taken then.
    await f.db.query(
      `INSERT INTO users (email, password_hash)
       SELECT format('rush-%s@example.com', n), 'test-no-login' FROM generate_series(1, 1000) AS n`,
    );
    await f.db.query(
      `WITH past AS (
              INSERT INTO concerts (name, venue, starts_at, queue_capacity, queue_window_seconds)
              VALUES ('rush-past', 'Elsewhere', now() + interval '30 days', 5, 300) RETURNING id),
            sold AS (
              INSERT INTO seats (concert_id, number, section, position, price, status)
              SELECT past.id, 'P' || n, 'P', n, 100, 'SOLD' FROM past, generate_series(1, 20000) AS n
              RETURNING id, concert_id, position),
            customers AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE 'rush-%'),
            paid AS (
              INSERT INTO payments (user_id, total_amount)
              SELECT customers.id, 100 FROM sold JOIN customers ON customers.n = 1 + sold.position % 1000
              RETURNING id, user_id)
       INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at, status, payment_id)
       SELECT paid.user_id, sold.concert_id, sold.id, 100, now(), 'CONFIRMED', paid.id
       FROM (SELECT id, user_id, row_number() OVER (ORDER BY id) AS n FROM paid) paid
       JOIN sold ON sold.position = paid.n`,
    );
    await f.db.query('VACUUM ANALYZE reservations');

    session = await f.db.connect();
    await session.query(`LOAD 'auto_explain'`);
    await session.query(
      `SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
       SET auto_explain.log_format = json; SET auto_explain.log_level = notice;
       SET auto_explain.log_analyze = on; SET auto_explain.log_timing = off`,
    );
    session.on('notice', (notice) => {
      const json = notice.message?.replace(/^duration: [\d.]+ ms\s+plan:\s*/, '');
      if (!json?.startsWith('{')) return;
      const { 'Query Text': query, Plan: plan } = JSON.parse(json) as {
        'Query Text': string;
        Plan: PlanNode;
      };
      plans.push({ query, scans: scans(plan) });
    });

    // The connection's first hold plans every statement; then the rush: 1,000 buyers of the
    // other concert each holding a seat; then the buyer's second hold runs the cached plans.
    const [first] = await f.holdSeats(
      { userId: buyer, concertId: concert.id, seatIds: [concert.seatIds[0]!] },
      session,
    );
    expect(first?.outcome).toBe('HELD');
    await f.db.query(
      `WITH rush AS (
              INSERT INTO concerts (name, venue, starts_at, queue_capacity, queue_window_seconds)
              VALUES ('rush-now', 'Elsewhere', now() + interval '30 days', 5, 300) RETURNING id),
            held AS (
              INSERT INTO seats (concert_id, number, section, position, price, status, held_until)
              SELECT rush.id, 'H' || n, 'H', n, 100, 'HELD', now() + interval '1 hour' FROM rush, generate_series(1, 1000) AS n
              RETURNING id, concert_id, position, held_until),
            holders AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM users WHERE email LIKE 'rush-%')
       INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
       SELECT holders.id, held.concert_id, held.id, 100, held.held_until FROM held JOIN holders ON holders.n = held.position`,
    );
    plans.length = 0;
    const [second] = await f.holdSeats(
      { userId: buyer, concertId: concert.id, seatIds: [concert.seatIds[1]!] },
      session,
    );
    expect(second?.outcome).toBe('HELD');
  }, 120_000);

  afterAll(async () => {
    session?.release();
    await f?.close();
  });

  it('reads the user’s own reservations, not every live hold', () => {
    const counts = plans.filter(
      (plan) => /count\(\*\)/.test(plan.query) && /FROM reservations r/.test(plan.query),
    );
    expect(counts).toHaveLength(1);
    const reads = counts[0]!.scans.map((scan) => ({ scan: scan.text, rowsRead: scan.rowsRead }));
    expect(reads.filter((read) => read.rowsRead > 20)).toEqual([]);
    expect(reads.length).toBeGreaterThan(0);
  });
});
