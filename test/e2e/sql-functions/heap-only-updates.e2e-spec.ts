import { FunctionTestDatabase } from '../../helpers/database-functions.js';

/**
 * A seat's hold, payment and release change only its status and held_until. No index of seats
 * may cover either (columns, expressions or predicate), so those updates stay heap-only: they
 * write no index entry (migration 20261208200000_seat_updates_heap_only).
 */
describe('heap-only updates of seats', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  it('has no index of seats on status or held_until', async () => {
    const { rows } = await f.db.query<{ name: string; definition: string }>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i WHERE i.indrelid = 'seats'::regclass`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(
      rows.filter((row) => /\b(status|held_until)\b/.test(row.definition)).map((row) => row.name),
    ).toEqual([]);
  });

  it('holds and pays two seats with heap-only updates of both', async () => {
    const concert = await f.concert();
    const userId = await f.user();
    await f.openWindow(concert.id, userId);
    await f.fund(userId, 10_000);
    const tx = await f.transaction();
    try {
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
      // This transaction's own counts, not yet reported: exact whatever else runs.
      const { rows } = await tx.client.query<{ updated: number; hot: number }>(
        `SELECT pg_stat_get_xact_tuples_updated('seats'::regclass)::int AS updated,
                pg_stat_get_xact_tuples_hot_updated('seats'::regclass)::int AS hot`,
      );
      expect(rows[0]).toEqual({ updated: 4, hot: 4 });
    } finally {
      await tx.end('ROLLBACK');
    }
  });
});
