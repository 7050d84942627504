import { escapeLiteral } from 'pg';
import type { Prisma } from '../../src/generated/prisma/client.js';
import { ReservationsRepository } from '../../src/reservations/reservations.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { capturedPoolStatement } from '../helpers/captured-statement.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  'Actual Rows'?: number;
  Plans?: PlanNode[];
}

interface SeatScan {
  type: string;
  /** Rows the scan returned, over all its loops. */
  rows: number;
}

/** Every scan of `table` that ran (a bitmap index scan by its index's name). */
function scansRun(node: PlanNode, table: string): SeatScan[] {
  const loops = node['Actual Loops'] ?? 0;
  const ofTable = node['Relation Name'] === table || node['Index Name']?.startsWith(`${table}_`);
  const own =
    ofTable && /Scan/.test(node['Node Type']) && loops > 0
      ? [{ type: node['Node Type'], rows: Math.round((node['Actual Rows'] ?? 0) * loops) }]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap((child) => scansRun(child, table))];
}

/**
 * A seat map with the concert's seat layout known (every one but a replica's first unfiltered
 * page of a concert) reads that concert's seats by index, never the whole table, and with
 * positions 1..n only the page's own seats: in the rush
 * benchmark the table also held another concert's 60,000 seats, and the count of every seat
 * on each request ran as a sequential scan of all of them. Run as the statement is planned for
 * its values and as the generic plan a prepared statement gets after five runs, on a table
 * skewed the same way; plans are read (which scans ran), never timed. Each seat's `mine` reads
 * the caller's reservations alone, also when the statistics saw none and thousands are live.
 */
describe('Seat map statement on a table of many concerts’ seats', () => {
  let t: TestApp;
  let concertId: string;
  const repo = new ReservationsRepository();
  let userId: string;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
    concertId = (await createConcert(t, { seats: 1_000 })).id;
    await createConcert(t, { seats: 60_000 });
    await t.db.query('ANALYZE seats, reservations');
    // The caller's open window: the page is read only for one.
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO users (email, password_hash) VALUES ('plans@example.com', 'test-no-login') RETURNING id`,
    );
    userId = rows[0]!.id;
    // Another buyer's 2,000 live holds and one of the caller's, after the statistics saw none:
    // the caller's own reservations must be found by the caller, not by walking every live one.
    const {
      rows: [other],
    } = await t.db.query<{ id: string }>(
      `INSERT INTO users (email, password_hash) VALUES ('plans-other@example.com', 'test-no-login') RETURNING id`,
    );
    await t.db.query(
      `INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
       SELECT $1, s.concert_id, s.id, s.price, now() + interval '1 hour'
       FROM seats s WHERE s.concert_id <> $2 ORDER BY s.position LIMIT 2000`,
      [other!.id, concertId],
    );
    await t.db.query(
      `INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
       SELECT $1, s.concert_id, s.id, s.price, now() + interval '1 hour'
       FROM seats s WHERE s.concert_id = $2 AND s.position = 1`,
      [userId, concertId],
    );
    await t.db.query(
      `INSERT INTO queue_entries (concert_id, user_id, ticket, status, activated_at, expires_at)
       VALUES ($1, $2, 1, 'ACTIVE', now(), now() + interval '1 hour')`,
      [concertId, userId],
    );
  }, 120_000);
  afterAll(() => t?.close());

  // A late page read by OFFSET walks every seat before it; by a range of positions, only its own.
  const pages: [string, number, boolean, number][] = [
    ['the first page', 0, true, 100],
    ['a late page, by positions', 900, true, 100],
    // Seat order is (position, id): the sort after the index reads one more row for ties.
    ['the first page, by OFFSET', 0, false, 101],
    ['a late page, by OFFSET', 900, false, 1_000],
  ];

  it.each(pages)(
    '%s reads only the concert’s seats and the caller’s reservations, by index',
    async (_, offset, positionsDense, rowsRead) => {
      const sql = await capturedPoolStatement((query) =>
        repo.findSeatMap(query, userId, concertId, { offset, limit: 100 }, { count: 1_000, positionsDense }),
      );
      await expectOnlyPageRead(sql, rowsRead);
    },
  );

  // The seat states of a page answered from the replica's seat catalog (findSeatStatuses).
  it.each([
    ['the first page’s seat states', 0],
    ['a late page’s seat states', 900],
  ])('%s are read only from the page’s seats and the caller’s reservations, by index', async (_, offset) => {
    const sql = await capturedPoolStatement((query) =>
      repo.findSeatStatuses(query, userId, concertId, { offset, limit: 100 }),
    );
    await expectOnlyPageRead(sql, 100);
  });

  async function expectOnlyPageRead(sql: Prisma.Sql, rowsRead: number): Promise<void> {
    const client = await t.db.connect();
    try {
      const literals = sql.values.map((value) =>
        value === null
          ? 'NULL'
          : typeof value === 'number'
            ? String(value)
            : // The other parameters of a seat-map read are ids and a status: strings.
              escapeLiteral(String(value as string)),
      );
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await client.query(`SET plan_cache_mode = ${mode}`);
        await client.query(`PREPARE seat_map AS ${sql.text}`);
        try {
          const { rows } = await client.query(
            `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE seat_map(${literals.join(', ')})`,
          );
          const plan = (rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan;
          expect({ mode, scans: scansRun(plan, 'seats') }).toEqual({
            mode,
            scans: [{ type: expect.stringMatching(/Index/) as unknown, rows: rowsRead }],
          });
          // No scan of reservations reads more than the caller's one.
          expect({
            mode,
            reservationScans: scansRun(plan, 'reservations').filter((scan) => scan.rows > 1),
          }).toEqual({ mode, reservationScans: [] });
        } finally {
          await client.query('DEALLOCATE seat_map');
        }
      }
    } finally {
      await client.query('RESET plan_cache_mode');
      client.release();
    }
  }
});
