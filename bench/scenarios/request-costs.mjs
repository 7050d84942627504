import { measureCpu } from '../lib/cpu.mjs';
import { fillQueue, giveWallets } from '../lib/fixtures.mjs';
import { LoadClient, Recorder } from '../lib/load.mjs';
import { note } from '../lib/progress.mjs';

export const name = 'request-costs';

const PAGE_SIZE = 100;
const CONNECTIONS = 64;

/**
 * What each request of a purchase costs the servers: CPU µs of the app and of the database per
 * seat page, hold, hold refused (409), payment, and per GET /health (the app's floor), measured
 * apart in turns, with no conflicts and no queue pacing, on one concert of `seats` seats with
 * `buyers` ACTIVE buyers. The rush's purchases per second follow from these; they also show
 * which side a change moved. Two rounds: the first warms the app (JIT, prepared statements).
 */
export async function run(ctx) {
  const { buyers, seats, pages } = ctx.sizes.requestCosts;
  const buyerIds = ctx.takeUsers(buyers);
  await giveWallets(ctx.db, buyerIds, 10_000_000);
  const {
    rows: [concert],
  } = await ctx.db.query(
    `INSERT INTO concerts (name, venue, starts_at, sales_state, queue_capacity, queue_window_seconds)
     VALUES ('Bench request costs', 'Bench Arena', now() + interval '30 days', 'ON_SALE', $1, 3600) RETURNING id`,
    [buyers],
  );
  const concertId = concert.id;
  await ctx.db.query('INSERT INTO queues (concert_id) VALUES ($1)', [concertId]);
  await ctx.db.query(
    `INSERT INTO seats (concert_id, number, section, position, price)
     SELECT $1, 'S' || n, 'S' || ((n - 1) / 100), n, 1000 FROM generate_series(1, $2::int) AS n`,
    [concertId, seats],
  );
  await fillQueue(ctx.db, { concertId, userIds: buyerIds, capacity: buyers, windowSeconds: 3_600 });
  await ctx.db.query('VACUUM (ANALYZE)');
  await ctx.db.query('CHECKPOINT');
  const seatIds = (
    await ctx.db.query('SELECT id FROM seats WHERE concert_id = $1 ORDER BY position', [concertId])
  ).rows.map((row) => row.id);
  const token = (i) => ctx.tokenOf(buyerIds[i % buyers]);
  const pageCount = Math.ceil(seats / PAGE_SIZE);

  const client = new LoadClient(ctx.origin, CONNECTIONS);
  const rows = [];
  const wrongAnswers = [];
  note(`Request costs: ${buyers} buyers, ${seats.toLocaleString('en-US')} seats, two rounds…`);
  try {
    await Promise.all(Array.from({ length: CONNECTIONS }, () => client.send({ path: '/health' })));
    for (let round = 1; round <= 2; round++) {
      const measure = async (key, label, expected, requests) => {
        const recorder = new Recorder();
        const cpu = await measureCpu(ctx.db, ctx.appPid);
        await recorder.during(() =>
          Promise.all(requests.map((request) => client.send({ ...request, recorders: [recorder] }))),
        );
        const used = cpu.stop();
        const summary = recorder.summary();
        const wrong = Object.entries(summary.statuses).filter(([status]) => Number(status) !== expected);
        if (wrong.length) wrongAnswers.push(`${label}: ${JSON.stringify(summary.statuses)}`);
        const perRequest = (seconds) => Math.round((seconds * 1e6) / requests.length);
        const costs = {
          appCpuMicros: perRequest(used.appCpuSeconds),
          databaseCpuMicros: perRequest(used.databaseCpuSeconds),
        };
        if (round === 2)
          rows.push({
            key,
            label: `Request costs: ${label}`,
            ...summary,
            vsLimit: `app ${costs.appCpuMicros} µs · database ${costs.databaseCpuMicros} µs`,
            costs,
          });
      };
      // Each round holds its own seats: 2 per buyer, then a 409 on one of another buyer's.
      const base = (round - 1) * 2 * buyers;
      await measure(
        'seat-page',
        'seat page (100 seats, every page in turn)',
        200,
        Array.from({ length: pages }, (_, i) => ({
          path: `/reservation/${concertId}/seats?page=${1 + (i % pageCount)}&limit=${PAGE_SIZE}`,
          token: token(i),
        })),
      );
      await measure(
        'hold',
        'hold 2 seats',
        201,
        buyerIds.map((_, i) => ({
          method: 'POST',
          path: '/reservation/seat',
          json: { concertId, seatIds: [seatIds[base + 2 * i], seatIds[base + 2 * i + 1]] },
          token: token(i),
        })),
      );
      await measure(
        'hold-409',
        'hold refused (a seat held by another, 409)',
        409,
        buyerIds.map((_, i) => ({
          method: 'POST',
          path: '/reservation/seat',
          json: { concertId, seatIds: [seatIds[base + 2 * ((i + 1) % buyers)]] },
          token: token(i),
        })),
      );
      const { rows: holds } = await ctx.db.query(
        `SELECT user_id, array_agg(id) AS ids FROM reservations
         WHERE concert_id = $1 AND status = 'PENDING' GROUP BY user_id`,
        [concertId],
      );
      const heldBy = new Map(holds.map((hold) => [hold.user_id, hold.ids]));
      await measure(
        'payment',
        'payment of 2 seats',
        200,
        buyerIds.map((userId, i) => ({
          method: 'POST',
          path: '/payment',
          json: { reservationIds: heldBy.get(userId) },
          token: token(i),
        })),
      );
      await measure(
        'health',
        'GET /health (the app’s floor)',
        200,
        Array.from({ length: pages }, () => ({ path: '/health' })),
      );
      // Paying ended every window: open them again for the next round.
      await ctx.db.query(
        `UPDATE queue_entries SET status = 'ACTIVE', expires_at = now() + interval '1 hour' WHERE concert_id = $1`,
        [concertId],
      );
      await ctx.db.query('UPDATE queues SET active_count = $2 WHERE concert_id = $1', [concertId, buyers]);
    }
  } finally {
    await client.close();
  }
  return {
    name,
    title: 'Request costs',
    rows,
    invariants: [
      {
        name: 'every request answered as expected (200, 201, 409)',
        ok: wrongAnswers.length === 0,
        detail: wrongAnswers.length ? wrongAnswers.join(' | ') : 'all as expected',
      },
    ],
    facts: Object.fromEntries(rows.map((row) => [row.key, row.costs])),
  };
}
