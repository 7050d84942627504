import { randomUUID } from 'node:crypto';
import { PAY_RESERVATIONS_OUTCOMES } from '../../../src/payments/payments.repository.js';
import { FunctionTestDatabase, type PayReservationsRow } from '../../helpers/database-functions.js';

/**
 * pay_reservations called directly (prisma/functions/pay_reservations.sql): one case per
 * outcome and per lock path. Every refusal must leave the database exactly as it was.
 */
describe('pay_reservations', () => {
  let f: FunctionTestDatabase;

  beforeAll(async () => {
    f = await FunctionTestDatabase.create();
  });
  afterAll(() => f.close());

  /** A user with an open window, `balance` points and holds on the first `holds` seats. */
  async function buyer(
    options: { balance?: number; holds?: number; price?: number; capacity?: number } = {},
  ) {
    const concert = await f.concert({ price: options.price ?? 1_000, capacity: options.capacity });
    const userId = await f.user();
    await f.openWindow(concert.id, userId);
    if (options.balance !== undefined) await f.fund(userId, options.balance);
    const reservationIds = await f.held(userId, concert.id, concert.seatIds.slice(0, options.holds ?? 2));
    return { concert, userId, reservationIds };
  }

  async function expectRefusal(userId: string, reservationIds: string[]): Promise<PayReservationsRow> {
    const before = await f.state();
    const row = await f.payReservations(userId, reservationIds);
    expect(await f.state()).toEqual(before);
    return row;
  }

  it('PAID: debits the wallet, writes the ledger, sells the seats and ends the window; the admit follows', async () => {
    const { concert, userId, reservationIds } = await buyer({ balance: 5_000, capacity: 1 });
    const next = await f.user();
    await f.enter(concert.id, next);

    const row = await f.payReservations(userId, reservationIds);

    expect(row).toMatchObject({ outcome: 'PAID', balance: 3_000, required: 2_000, total_amount: 2_000 });
    const paymentId = row.payment_id!;
    const { rows: wallet } = await f.db.query('SELECT balance FROM point_wallets WHERE user_id = $1', [
      userId,
    ]);
    expect(wallet).toEqual([{ balance: 3_000 }]);
    const { rows: ledger } = await f.db.query(
      `SELECT type, amount, balance_after, payment_id FROM point_ledger WHERE user_id = $1 ORDER BY created_at`,
      [userId],
    );
    expect(ledger).toEqual([
      { type: 'CHARGE', amount: 5_000, balance_after: 5_000, payment_id: null },
      { type: 'PAYMENT', amount: -2_000, balance_after: 3_000, payment_id: paymentId },
    ]);
    const { rows: sold } = await f.db.query(
      `SELECT r.status, r.payment_id, s.status AS seat_status, s.held_until
       FROM reservations r JOIN seats s ON s.id = r.seat_id WHERE r.id = ANY($1)`,
      [reservationIds],
    );
    expect(sold).toEqual([
      { status: 'CONFIRMED', payment_id: paymentId, seat_status: 'SOLD', held_until: null },
      { status: 'CONFIRMED', payment_id: paymentId, seat_status: 'SOLD', held_until: null },
    ]);
    expect(row.concert_ids).toEqual([concert.id]);
    // The payment takes no queues row: it marks the window over, and the admit that follows
    // the commit (the app's, or the sweeper's) ends it as COMPLETED and admits the next user.
    expect(await f.entryStatus(concert.id, userId)).toBe('ACTIVE');
    expect(await f.queueWindowOpen(concert.id, userId)).toBe(false);
    expect(await f.entryStatus(concert.id, next)).toBe('WAITING');
    expect(await f.endQueueEntries(concert.id, null)).toEqual({ ended: 1, admitted: 1 });
    expect(await f.entryStatus(concert.id, userId)).toBe('COMPLETED');
    expect(await f.entryStatus(concert.id, next)).toBe('ACTIVE');
  });

  it('SALES_CLOSED: names the reservations of a concert whose sales closed; a paused one still pays', async () => {
    const closed = await buyer({ balance: 5_000 });
    await f.db.query(`UPDATE concerts SET sales_state = 'CLOSED' WHERE id = $1`, [closed.concert.id]);
    const row = await expectRefusal(closed.userId, closed.reservationIds);
    expect(row).toMatchObject({ outcome: 'SALES_CLOSED', reservation_ids: closed.reservationIds });

    const paused = await buyer({ balance: 5_000 });
    await f.db.query(`UPDATE concerts SET sales_state = 'PAUSED' WHERE id = $1`, [paused.concert.id]);
    expect((await f.payReservations(paused.userId, paused.reservationIds)).outcome).toBe('PAID');
  });

  it('PAID: seats that cost nothing move no balance and write no ledger entry, even without a wallet', async () => {
    const { userId, reservationIds } = await buyer({ price: 0 });
    const row = await f.payReservations(userId, reservationIds);
    expect(row).toMatchObject({ outcome: 'PAID', total_amount: 0 });
    const { rows } = await f.db.query(
      `SELECT (SELECT count(*)::int FROM point_wallets WHERE user_id = $1) AS wallets,
              (SELECT count(*)::int FROM point_ledger WHERE user_id = $1) AS entries`,
      [userId],
    );
    expect(rows).toEqual([{ wallets: 0, entries: 0 }]);
  });

  it('RESERVATION_NOT_FOUND: names the unknown ids in the order asked', async () => {
    const { userId, reservationIds } = await buyer({ balance: 5_000 });
    const [a, b] = [randomUUID(), randomUUID()];
    const row = await expectRefusal(userId, [b, reservationIds[0]!, a]);
    expect(row).toMatchObject({ outcome: 'RESERVATION_NOT_FOUND', reservation_ids: [b, a] });
  });

  it('RESERVATION_FORBIDDEN: names another user’s reservations', async () => {
    const mine = await buyer({ balance: 5_000 });
    const theirs = await buyer({ balance: 5_000 });
    const row = await expectRefusal(mine.userId, [mine.reservationIds[0]!, theirs.reservationIds[1]!]);
    expect(row).toMatchObject({
      outcome: 'RESERVATION_FORBIDDEN',
      reservation_ids: [theirs.reservationIds[1]],
    });
  });

  it('RESERVATION_ALREADY_PAID: names the paid ones', async () => {
    const { concert, userId, reservationIds } = await buyer({ balance: 5_000, holds: 1 });
    expect((await f.payReservations(userId, reservationIds)).outcome).toBe('PAID');
    await f.endQueueEntries(concert.id, null);
    await f.openWindow(concert.id, userId);
    const [fresh] = await f.held(userId, concert.id, [concert.seatIds[1]!]);

    const row = await expectRefusal(userId, [fresh!, reservationIds[0]!]);
    expect(row).toMatchObject({ outcome: 'RESERVATION_ALREADY_PAID', reservation_ids: [reservationIds[0]] });
  });

  it('RESERVATION_EXPIRED: a hold lapsed by the database clock, before any sweep, and a cancelled one', async () => {
    const { userId, reservationIds } = await buyer({ balance: 5_000, holds: 3 });
    await f.lapse(reservationIds[0]!);
    await f.db.query(`UPDATE reservations SET status = 'CANCELLED' WHERE id = $1`, [reservationIds[2]]);
    await f.db.query(
      `UPDATE seats SET status = 'AVAILABLE', held_until = NULL
                      WHERE id = (SELECT seat_id FROM reservations WHERE id = $1)`,
      [reservationIds[2]],
    );

    const row = await expectRefusal(userId, reservationIds);
    expect(row).toMatchObject({
      outcome: 'RESERVATION_EXPIRED',
      reservation_ids: [reservationIds[0], reservationIds[2]],
    });
  });

  it('INSUFFICIENT_POINTS: with the balance and the amount required; a user without a wallet has 0', async () => {
    const short = await buyer({ balance: 1_999 });
    expect(await expectRefusal(short.userId, short.reservationIds)).toMatchObject({
      outcome: 'INSUFFICIENT_POINTS',
      balance: 1_999,
      required: 2_000,
    });
    const walletless = await buyer();
    expect(await expectRefusal(walletless.userId, walletless.reservationIds)).toMatchObject({
      outcome: 'INSUFFICIENT_POINTS',
      balance: 0,
      required: 2_000,
    });
  });

  it('waits for a seat another transaction has locked, and judges the hold as that one left it', async () => {
    const { userId, reservationIds } = await buyer({ balance: 5_000, holds: 1 });
    // The sweeper (or a cancel) working on the seat: it lets the hold go while pay waits.
    const sweeper = await f.transaction();
    const session = await f.session();
    try {
      await sweeper.client.query(
        'SELECT 1 FROM seats WHERE id = (SELECT seat_id FROM reservations WHERE id = $1) FOR UPDATE',
        [reservationIds[0]],
      );
      const call = f.payReservations(userId, reservationIds, session.client);
      await f.waitUntilBlocked(session.pid);
      await sweeper.client.query(`UPDATE reservations SET status = 'EXPIRED' WHERE id = $1`, [
        reservationIds[0],
      ]);
      await sweeper.client.query(
        `UPDATE seats SET status = 'AVAILABLE', held_until = NULL
         WHERE id = (SELECT seat_id FROM reservations WHERE id = $1)`,
        [reservationIds[0]],
      );
      await sweeper.end('COMMIT');

      expect(await call).toMatchObject({ outcome: 'RESERVATION_EXPIRED', reservation_ids: reservationIds });
    } finally {
      session.client.release();
      await sweeper.end();
    }
    const { rows } = await f.db.query('SELECT balance FROM point_wallets WHERE user_id = $1', [userId]);
    expect(rows).toEqual([{ balance: 5_000 }]);
  });

  it('waits for a wallet another transaction is debiting, and re-checks the balance that one left', async () => {
    const { userId, reservationIds } = await buyer({ balance: 3_000 });
    // Another payment of the same user, past its wallet update, not yet committed.
    const other = await f.transaction();
    const session = await f.session();
    try {
      await other.client.query('UPDATE point_wallets SET balance = balance - 2000 WHERE user_id = $1', [
        userId,
      ]);
      const before = await f.state();
      const call = f.payReservations(userId, reservationIds, session.client);
      await f.waitUntilBlocked(session.pid);
      await other.end('COMMIT');

      expect(await call).toMatchObject({ outcome: 'INSUFFICIENT_POINTS', balance: 1_000, required: 2_000 });
      const after = await f.state();
      expect(after.reservations).toEqual(before.reservations);
      expect(after.seats).toEqual(before.seats);
      expect(after.point_ledger).toEqual(before.point_ledger);
    } finally {
      session.client.release();
      await other.end();
    }
  });

  it('locks the wallet before the payer’s queue entry (the order of docs/architecture.md)', async () => {
    const { concert, userId, reservationIds } = await buyer({ balance: 5_000 });
    // Something else working on the payer's entry (an admit ending it): pay waits there.
    const admit = await f.transaction();
    const session = await f.session();
    try {
      await admit.client.query(
        'SELECT 1 FROM queue_entries WHERE concert_id = $1 AND user_id = $2 FOR UPDATE',
        [concert.id, userId],
      );
      const call = f.payReservations(userId, reservationIds, session.client);
      await f.waitUntilBlocked(session.pid);
      // By then the wallet is already locked by the payment.
      const wallet = await f.transaction();
      try {
        await expect(
          wallet.client.query('SELECT 1 FROM point_wallets WHERE user_id = $1 FOR UPDATE NOWAIT', [userId]),
        ).rejects.toMatchObject({ code: '55P03' });
      } finally {
        await wallet.end();
      }
      await admit.end('COMMIT');
      expect(await call).toMatchObject({ outcome: 'PAID', balance: 3_000 });
    } finally {
      session.client.release();
      await admit.end();
    }
  });

  it('commits synchronously, unlike the holds it pays: the points moved are on disk when it answers', async () => {
    const { userId, reservationIds } = await buyer({ balance: 5_000 });
    const tx = await f.transaction();
    try {
      expect(await f.payReservations(userId, reservationIds, tx.client)).toMatchObject({ outcome: 'PAID' });
      const { rows } = await tx.client.query(`SELECT current_setting('synchronous_commit') AS value`);
      expect(rows).toEqual([{ value: 'on' }]);
    } finally {
      await tx.end();
    }
  });

  it('reads only the seats it sells, however many seats are HELD and whatever the statistics say', async () => {
    // Statistics gathered while nothing was held, then a hundred seats held by others: a plan
    // that follows the statistics walks every HELD seat (or the whole table) on each payment.
    await f.concert({ seats: 3_000 });
    await f.db.query('ANALYZE seats');
    for (let i = 0; i < 25; i++) await buyer({ holds: 4 });
    const payers = [];
    for (let i = 0; i < 8; i++) payers.push(await buyer({ balance: 5_000 }));
    const tx = await f.transaction();
    // This backend's counters, which may still hold earlier transactions' reads (flushed
    // lazily): the payments' reads are the difference, taken inside one transaction.
    const reads = async () => {
      const { rows } = await tx.client.query<{ table: string; seqScans: number; fetched: number }>(
        `SELECT relname AS table, seq_scan::int AS "seqScans", coalesce(idx_tup_fetch, 0)::int AS fetched
         FROM pg_stat_xact_user_tables WHERE relname IN ('seats', 'reservations') ORDER BY relname`,
      );
      return rows;
    };
    try {
      const before = await reads();
      // Past the fifth call PL/pgSQL plans its statements once for any arguments (a generic plan).
      for (const { userId, reservationIds } of payers)
        expect(await f.payReservations(userId, reservationIds, tx.client)).toMatchObject({ outcome: 'PAID' });
      const after = await reads();
      // Two reservations and two seats locked and changed per payment, each reached through its
      // index entries (one per row version): a handful, against the 116 HELD seats and live
      // reservations a walk through their partial indexes would read each time. (The few
      // hundred reservations of this test may be read whole: a small table, as its plan knows.)
      expect(
        after.map((table, i) => ({
          table: table.table,
          fewIndexReads: table.fetched - before[i]!.fetched <= payers.length * 16,
        })),
      ).toEqual([
        { table: 'reservations', fewIndexReads: true },
        { table: 'seats', fewIndexReads: true },
      ]);
      expect(after[1]!.seqScans - before[1]!.seqScans).toBe(0);
    } finally {
      await tx.end();
    }
  });

  it('answered every outcome the TypeScript side declares (run with the cases above)', () => {
    expect([...f.answered.pay_reservations].sort()).toEqual([...PAY_RESERVATIONS_OUTCOMES].sort());
  });
});
