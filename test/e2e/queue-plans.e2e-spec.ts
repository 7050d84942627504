import { ConcertsRepository } from '../../src/concerts/concerts.repository.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import { QueueRepository } from '../../src/queue/queue.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { capturedStatement } from '../helpers/captured-statement.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

/** Every node of a plan. */
const planNodes = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(planNodes)];

/** Every scan of the queue tables in a plan, as "Node Type on relation (index)". */
function queueScans(node: PlanNode): string[] {
  const own =
    node['Relation Name']?.startsWith('queue_') && /Scan/.test(node['Node Type'])
      ? [
          `${node['Node Type']} on ${node['Relation Name']}${node['Index Name'] ? ` (${node['Index Name']})` : ''}`,
        ]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(queueScans)];
}

/**
 * The hot statements keep their index plans on a queue that grew from a handful of entries
 * to 60,000 after its statistics were taken (autovacuum is off for its tables): no statement
 * may scan a queue table sequentially, nor walk a concert's entries by ticket (the
 * (concert_id, ticket) key), whether planned for its values or generically as a prepared
 * statement is after five runs. Plans are read, never timed.
 */
describe('Queue statements on stale statistics', () => {
  let t: TestApp;
  let concertId: string;
  let userIds: string[];
  const repo = new QueueRepository();

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
    concertId = (await createConcert(t, { capacity: 5 })).id;
    const size = 60_000;
    await t.db.query(
      `INSERT INTO users (email, password_hash)
       SELECT format('plan-%s@example.com', n), 'test-no-login' FROM generate_series(1, $1::int) AS n`,
      [size],
    );
    // Statistics taken while the queue holds ten entries, then never again.
    await t.db.query(
      `INSERT INTO queue_entries (concert_id, user_id, ticket, status)
       SELECT $1, id, row_number() OVER (ORDER BY email), 'WAITING'
       FROM (SELECT id, email FROM users WHERE email LIKE 'plan-%' ORDER BY email LIMIT 10) u`,
      [concertId],
    );
    // Never analyzed again in this test's own database, even by an autovacuum that is on: what
    // an on-sale outgrowing autovacuum looks like, without depending on its timing.
    await t.db.query(
      `ALTER TABLE queue_entries SET (autovacuum_enabled = false);
       ALTER TABLE queue_departure_buckets SET (autovacuum_enabled = false);
       ALTER TABLE queue_departure_stripes SET (autovacuum_enabled = false)`,
    );
    await t.db.query(
      'ANALYZE queue_entries; ANALYZE queue_departure_buckets; ANALYZE queue_departure_stripes',
    );
    await t.db.query(
      `INSERT INTO queue_entries (concert_id, user_id, ticket, status)
       SELECT $1, id, 10 + row_number() OVER (ORDER BY email), 'WAITING'
       FROM (SELECT id, email FROM users WHERE email LIKE 'plan-%' ORDER BY email OFFSET 10) u`,
      [concertId],
    );
    // A third leave (the trigger fills the buckets), the first five are admitted.
    await t.db.query(
      `UPDATE queue_entries SET status = 'LEFT', ended_at = now() WHERE concert_id = $1 AND ticket % 3 = 0 AND ticket > 5`,
      [concertId],
    );
    // Other concerts' departures: the stripes table holds up to 16 rows per concert (one per
    // stripe, however many leave), so it is the number of concerts that outgrows its statistics.
    await t.db.query(
      `WITH other AS (
         INSERT INTO concerts (name, venue, starts_at, queue_capacity, queue_window_seconds)
         SELECT 'plan-other-' || n, 'Elsewhere', now() + interval '30 days', 5, 300
         FROM generate_series(1, 2000) AS n
         RETURNING id)
       INSERT INTO queue_departure_stripes (concert_id, stripe, departed)
       SELECT other.id, stripe, 1 FROM other, generate_series(0, 15) AS stripe`,
    );
    await t.db.query(
      `UPDATE queue_entries SET status = 'ACTIVE', activated_at = now(), expires_at = now() + interval '1 hour'
       WHERE concert_id = $1 AND ticket <= 5`,
      [concertId],
    );
    await t.db.query(
      `UPDATE queues SET last_ticket = $2, activated_count = 5, active_count = 5 WHERE concert_id = $1`,
      [concertId, size],
    );
    const { rows } = await t.db.query<{ user_id: string }>(
      `SELECT user_id FROM queue_entries WHERE concert_id = $1 AND ticket IN (3, 30001, 59999) ORDER BY ticket`,
      [concertId],
    );
    userIds = rows.map((row) => row.user_id);
  }, 120_000);
  afterAll(() => t?.close());

  const statements: [string, (tx: Tx) => Promise<unknown>][] = [
    ['a poll’s entry read', (tx) => repo.findLiveEntries(tx, concertId, userIds)],
    ['a batch of entries', (tx) => repo.enterMany(tx, concertId, userIds)],
    ['leaving while waiting', (tx) => repo.leaveWhileWaiting(tx, concertId, userIds[1]!)],
    ['a snapshot read', (tx) => repo.readSnapshot(tx, concertId, 0n)],
    ['the sweeper’s search', (tx) => repo.findConcertsToSweep(tx, 100)],
  ];

  it.each(statements)('%s uses only index probes, planned for its values and generically', async (_, run) => {
    const sql = await capturedStatement(run);
    const custom = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql.text}`, sql.values);
    const generic = await t.db.query(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${sql.text}`);
    for (const result of [custom, generic]) {
      const scans = queueScans(
        (result.rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan,
      );
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.filter((scan) => /^Seq Scan|concert_id_ticket_key/.test(scan))).toEqual([]);
    }
  });

  it('counts an operator’s admissions of the last minute by a range of admission times', async () => {
    const sql = await capturedStatement((tx) => new ConcertsRepository().findConcertStats(tx, concertId));
    const { rows } = await t.db.query(`EXPLAIN (FORMAT JSON) ${sql.text}`, sql.values);
    const nodes = planNodes((rows[0] as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan);
    // Compared with clock_timestamp() in the scan itself, the ended windows' count read every
    // admitted entry of the concert instead.
    expect(
      nodes.filter(
        (node) =>
          node['Index Name'] === 'queue_entries_admitted_idx' &&
          /activated_at >/.test(node['Index Cond'] ?? ''),
      ),
    ).toHaveLength(1);
  });

  it('has a table the planner still believes is small', async () => {
    const { rows } = await t.db.query<{ reltuples: number }>(
      `SELECT reltuples FROM pg_class WHERE relname = 'queue_entries'`,
    );
    expect(rows[0]!.reltuples).toBeLessThan(1_000);
  });
});
