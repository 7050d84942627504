import type pg from 'pg';
import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/** Whether any index of `table` covers one of `columns`, in its columns, expressions or predicate. */
async function indexesCovering(db: FunctionTestDatabase['db'], table: string, columns: string[]) {
  const { rows } = await db.query<{ name: string; definition: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i WHERE i.indrelid = $1::regclass`,
    [table],
  );
  expect(rows.length).toBeGreaterThan(0);
  const covering = new RegExp(`\\b(${columns.join('|')})\\b`);
  return rows.filter((row) => covering.test(row.definition)).map((row) => row.name);
}

/**
 * Updates of `table` and how many were heap-only, counted by this backend and not yet reported:
 * read before and after within one transaction (nothing is reported before its end), the
 * difference is that transaction's own, whatever else runs.
 */
async function updateCounts(client: pg.ClientBase, table: string): Promise<{ updated: number; hot: number }> {
  const { rows } = await client.query<{ updated: number; hot: number }>(
    `SELECT pg_stat_get_xact_tuples_updated($1::regclass)::int AS updated,
            pg_stat_get_xact_tuples_hot_updated($1::regclass)::int AS hot`,
    [table],
  );
  return rows[0]!;
}

/**
 * A seat's hold, payment and release change only its status and held_until, a claim only its
 * entry's claimed_at and expires_at, and a payment's mark of the window its expires_at and
 * ended_at. No index may cover those, so these updates stay heap-only: they write no index entry
 * (migrations 20261208200000_seat_updates_heap_only, 20261208200002_claim_updates_heap_only and
 * 20261208200003_payment_mark_heap_only).
 */
describe('heap-only updates of seats, claims and payment marks', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  it('has no index of seats on status or held_until, nor of queue_entries on claimed_at, expires_at or ended_at', async () => {
    expect(await indexesCovering(f.db, 'seats', ['status', 'held_until'])).toEqual([]);
    expect(await indexesCovering(f.db, 'queue_entries', ['claimed_at', 'expires_at', 'ended_at'])).toEqual(
      [],
    );
  });

  it('holds and pays two seats, and marks the window, with heap-only updates', async () => {
    const concert = await f.concert();
    const userId = await f.user();
    await f.openWindow(concert.id, userId);
    await f.fund(userId, 10_000);
    const tx = await f.transaction();
    try {
      const before = await updateCounts(tx.client, 'seats');
      const entriesBefore = await updateCounts(tx.client, 'queue_entries');
      const holds = await f.holdSeats(
        { userId, concertId: concert.id, seatIds: concert.seatIds.slice(0, 2) },
        tx.client,
      );
      expect(holds.map((row) => row.outcome)).toEqual(['HELD', 'HELD']);
      const paid = await f.payReservations(
        userId,
        holds.map((row) => row.hold_id!),
        tx.client,
      );
      expect(paid.outcome).toBe('PAID');
      const after = await updateCounts(tx.client, 'seats');
      expect({ updated: after.updated - before.updated, hot: after.hot - before.hot }).toEqual({
        updated: 4,
        hot: 4,
      });
      // The payment's mark of the payer's window (expires_at, ended_at).
      const entriesAfter = await updateCounts(tx.client, 'queue_entries');
      expect({
        updated: entriesAfter.updated - entriesBefore.updated,
        hot: entriesAfter.hot - entriesBefore.hot,
      }).toEqual({ updated: 1, hot: 1 });
    } finally {
      await tx.end('ROLLBACK');
    }
  });

  it('claims an admitted place with a heap-only update', async () => {
    const concert = await f.concert();
    const userId = await f.user();
    await f.openWindow(concert.id, userId, { claimed: false });
    const tx = await f.transaction();
    try {
      const before = await updateCounts(tx.client, 'queue_entries');
      expect(await f.queueWindowOpen(concert.id, userId, tx.client)).toBe(true);
      const after = await updateCounts(tx.client, 'queue_entries');
      expect({ updated: after.updated - before.updated, hot: after.hot - before.hot }).toEqual({
        updated: 1,
        hot: 1,
      });
      const { rows } = await tx.client.query(
        `SELECT claimed_at IS NOT NULL AS claimed FROM queue_entries WHERE concert_id = $1 AND user_id = $2`,
        [concert.id, userId],
      );
      expect(rows[0]).toEqual({ claimed: true });
    } finally {
      await tx.end('ROLLBACK');
    }
  });
});
