import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureCpu } from '../lib/cpu.mjs';
import { fillQueue, giveWallets } from '../lib/fixtures.mjs';
import { LoadClient, Recorder } from '../lib/load.mjs';
import { findPgbench, runPgbench } from '../lib/pgbench.mjs';
import { note } from '../lib/progress.mjs';
import { randomInt, sample, seededRandom } from '../lib/random.mjs';
import { serverFailures, summarize } from '../lib/stats.mjs';
import { sampleWaitEvents } from '../lib/wait-events.mjs';

export const name = 'rush';

const PRICES = [40_000, 30_000, 20_000, 10_000];
const SEATS_PER_PURCHASE = 2;
const PAGE_SIZE = 100;
/** Holds a buyer tries (each after a fresh look at the seat map) before giving up. */
const MAX_HOLD_ATTEMPTS = 20;
const SQL_CLIENTS = 16;
/** Buyers per pgbench client: each client buys for its own users, so no two clients share a wallet. */
const SQL_BUYERS_PER_CLIENT = 64;
/** How long the payers' windows may take to end (the batched admit, or the sweeper as backstop). */
const WINDOWS_END_WITHIN_MS = 2_000;
/**
 * How often the rush samples pg_stat_activity: at 10 ms the sampler's backend and client took
 * about 5% of the two cores from a rush that pgbench, its limit, never shares with one.
 */
const WAIT_SAMPLE_MS = 25;

/**
 * The purchase of the API in plain SQL, for pgbench: lock two free seats and hold them
 * (one transaction), then lock them, debit the wallet, record the payment and its ledger
 * row, confirm the reservations and sell the seats (another). Each client buys for its own
 * users (n ≡ client id), so no wallet is shared between clients.
 */
const PURCHASE_SQL = `
\\set n random(0, ${SQL_BUYERS_PER_CLIENT} - 1) * ${SQL_CLIENTS} + :client_id + 1
\\set k random(1, :concerts)
\\set p random(1, :span)
BEGIN;
WITH picked AS (
  SELECT s.id FROM seats s
  WHERE s.concert_id = (SELECT concert_id FROM bench_sql_concerts WHERE k = :k)
    AND s.position >= :p AND s.status = 'AVAILABLE'
  ORDER BY s.position LIMIT ${SEATS_PER_PURCHASE} FOR UPDATE SKIP LOCKED
), held AS (
  UPDATE seats s SET status = 'HELD', held_until = now() + interval '5 minutes'
  FROM picked WHERE s.id = picked.id RETURNING s.id, s.concert_id, s.price
)
INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
SELECT b.user_id, held.concert_id, held.id, held.price, now() + interval '5 minutes'
FROM held, bench_sql_buyers b WHERE b.n = :n;
COMMIT;
BEGIN;
SELECT 1 FROM seats WHERE id IN (
  SELECT r.seat_id FROM reservations r JOIN bench_sql_buyers b ON b.user_id = r.user_id
  WHERE b.n = :n AND r.status = 'PENDING') ORDER BY id FOR UPDATE;
SELECT coalesce(sum(r.price), 0) AS total FROM reservations r JOIN bench_sql_buyers b ON b.user_id = r.user_id
WHERE b.n = :n AND r.status = 'PENDING' \\gset
UPDATE point_wallets w SET balance = w.balance - :total, updated_at = now()
FROM bench_sql_buyers b WHERE b.n = :n AND w.user_id = b.user_id AND w.balance >= :total
RETURNING w.balance \\gset
WITH payment AS (
  INSERT INTO payments (user_id, total_amount) SELECT user_id, :total FROM bench_sql_buyers WHERE n = :n
  RETURNING id, user_id
), ledger AS (
  INSERT INTO point_ledger (user_id, type, amount, balance_after, payment_id)
  SELECT user_id, 'PAYMENT', -(:total)::int, :balance, id FROM payment
), confirmed AS (
  UPDATE reservations r SET status = 'CONFIRMED', payment_id = payment.id, updated_at = now()
  FROM payment WHERE r.user_id = payment.user_id AND r.status = 'PENDING' RETURNING r.seat_id
)
UPDATE seats s SET status = 'SOLD', held_until = NULL FROM confirmed WHERE s.id = confirmed.seat_id;
COMMIT;
`;

/**
 * The seat rush at the hardware's limit. Every buyer is ACTIVE before the start (capacity =
 * buyers), and all start at once: each reads a page of the seat map, holds 2 random free
 * seats, reads the map again and picks others after a 409, and pays once. Beside it, in the
 * same run, pgbench runs the same purchase in plain SQL with 16 clients: the limit the API's
 * purchases per second are a share of. One concert, then ten concerts selling at once (ten
 * hot concerts must not share a lock); then an open loop at half the SQL rate, where the
 * latencies are measured without a backlog.
 */
export async function run(ctx) {
  const { rush } = ctx.sizes;
  const pgbench = findPgbench();
  const variants = [];
  const rows = [];
  const invariants = [];
  // The app's seat page, hold and payment run here for the first time: a rush of its own first,
  // unmeasured, so that the measured ones do not pay for the JIT (the first of two rounds of
  // bench request-costs costs the app 1.3-1.7 times the second).
  await closedLoopRush(ctx, { concerts: 1, buyers: rush.warmupBuyers, seats: rush.warmupBuyers * 4 });
  for (const concerts of [1, 10]) {
    const sql = pgbench ? await measureSqlLimit(ctx, pgbench, concerts) : null;
    const api = await closedLoopRush(ctx, { concerts, buyers: rush.buyers, seats: rush.seats });
    const ratio = sql ? api.purchasesPerSecond / sql.perSecond : null;
    // On a shared machine the rates follow each side's share of the CPU; the CPU each purchase
    // cost the servers (app and database, against the database alone) does not.
    const cpuRatio =
      sql?.serverCpuMsPerPurchase && api.facts.serverCpuMsPerPurchase
        ? Math.round((sql.serverCpuMsPerPurchase / api.facts.serverCpuMsPerPurchase) * 100) / 100
        : null;
    variants.push({
      concerts,
      sql,
      ...api.facts,
      ratioToSql: ratio === null ? null : Math.round(ratio * 100) / 100,
      cpuRatioToSql: cpuRatio,
    });
    const label = `Rush, ${concerts === 1 ? '1 concert' : `${concerts} concerts`}`;
    if (sql)
      rows.push(sqlRow(`${label}: SQL limit (pgbench, ${SQL_CLIENTS} clients)`, `sql-${concerts}`, sql));
    rows.push({
      key: `purchases-${concerts}`,
      label: `${label}: purchases`,
      ...api.purchases,
      vsLimit:
        ratio === null
          ? 'no pgbench'
          : `${Math.round(ratio * 100)}% of SQL · CPU/purchase ${cpuRatio === null ? '–' : `${Math.round(cpuRatio * 100)}%`}`,
    });
    rows.push({
      key: `hold-${concerts}`,
      label: `${label}: hold`,
      ...api.hold,
      limit: 'update',
      demandPaced: true,
    });
    rows.push({
      key: `pay-${concerts}`,
      label: `${label}: payment`,
      ...api.pay,
      limit: 'update',
      demandPaced: true,
    });
    invariants.push(
      ...api.invariants.map((invariant) => ({ ...invariant, name: `${label}: ${invariant.name}` })),
    );
  }

  const sqlRate = variants[0].sql?.perSecond ?? rush.openLoopRateWithoutSql;
  const rate = Math.max(1, Math.min(rush.openLoopMaxRate ?? Infinity, Math.round(sqlRate / 2)));
  const open = await openLoopRush(ctx, { rate, seconds: rush.openLoopSeconds });
  rows.push({
    key: 'open-hold',
    label: `Rush, open loop at ${rate}/s: hold`,
    ...open.hold,
    limit: 'update',
    demandPaced: true,
  });
  rows.push({
    key: 'open-pay',
    label: `Rush, open loop at ${rate}/s: payment`,
    ...open.pay,
    limit: 'update',
    demandPaced: true,
  });
  invariants.push(
    ...open.invariants.map((invariant) => ({ ...invariant, name: `Rush, open loop: ${invariant.name}` })),
  );
  if (!pgbench)
    invariants.push({
      name: 'pgbench found (the SQL limit)',
      ok: false,
      detail: 'set PGBENCH or install postgresql',
    });

  return {
    name,
    title: 'Rush',
    rows,
    invariants,
    facts: { variants, openLoop: { rate, ...open.facts } },
  };
}

function sqlRow(label, key, sql) {
  return {
    key,
    label,
    requests: sql.transactions,
    durationMs: null,
    throughput: sql.perSecond,
    latencyMs: { p50: null, p95: null, p99: null, max: null, mean: sql.latencyAverageMs },
    statuses: {},
    vsLimit: '–',
  };
}

/** pgbench's purchases per second on `concerts` concerts of their own, half of their seats at most sold. */
async function measureSqlLimit(ctx, binary, concerts) {
  const { rush } = ctx.sizes;
  const buyers = ctx.takeUsers(SQL_CLIENTS * SQL_BUYERS_PER_CLIENT);
  const seatsPerConcert = Math.ceil(rush.sqlSeats / concerts);
  await ctx.db.query('DROP TABLE IF EXISTS bench_sql_buyers, bench_sql_concerts');
  await ctx.db.query('CREATE TABLE bench_sql_buyers (n int PRIMARY KEY, user_id uuid NOT NULL)');
  await ctx.db.query('CREATE TABLE bench_sql_concerts (k int PRIMARY KEY, concert_id uuid NOT NULL)');
  await ctx.db.query(
    'INSERT INTO bench_sql_buyers SELECT n, id FROM unnest($1::uuid[]) WITH ORDINALITY AS b(id, n)',
    [buyers],
  );
  await giveWallets(ctx.db, buyers, 50_000_000);
  for (let k = 1; k <= concerts; k++) {
    const concertId = await insertConcert(ctx.db, `Bench SQL rush ${k}`, 1, seatsPerConcert);
    await ctx.db.query('INSERT INTO bench_sql_concerts VALUES ($1, $2)', [k, concertId]);
  }
  await settle(ctx.db);
  note(`Rush: pgbench, ${concerts} concert(s), ${SQL_CLIENTS} clients, ${rush.sqlSeconds} s…`);
  const cpu = await measureCpu(ctx.db, null);
  const result = await runPgbench({
    binary,
    databaseUrl: ctx.databaseUrl,
    script: PURCHASE_SQL,
    clients: SQL_CLIENTS,
    seconds: rush.sqlSeconds,
    // Starting positions leave room for two free seats after them.
    variables: { concerts, span: Math.max(1, seatsPerConcert - 4 * PAGE_SIZE) },
  });
  const cpuUsed = cpu.stop();
  return {
    ...result,
    cpu: cpuUsed,
    serverCpuMsPerPurchase: perPurchaseMs(cpuUsed.databaseCpuSeconds, result.transactions),
  };
}

const perPurchase = (purchases, counts) =>
  Object.fromEntries(
    Object.entries(counts).map(([kind, count]) => [
      kind,
      purchases ? Math.round((count / purchases) * 100) / 100 : null,
    ]),
  );

/** The database's CPU without what sampling its wait events cost it (reported apart). */
function withoutSampler(cpu, waitEvents) {
  const databaseCpuSeconds = Math.round((cpu.databaseCpuSeconds - waitEvents.samplerCpuSeconds) * 100) / 100;
  return { ...cpu, databaseCpuSeconds, waitEventSamplerCpuSeconds: waitEvents.samplerCpuSeconds };
}

const perPurchaseMs = (cpuSeconds, purchases) =>
  purchases ? Math.round(((cpuSeconds * 1000) / purchases) * 100) / 100 : null;

/**
 * Leaves no work of an earlier phase for the next one to pay for: the dead rows pgbench (or a
 * rush) left would otherwise be vacuumed, and its dirty pages written, by autovacuum and the
 * checkpointer while the next phase's CPU is measured (it doubled the database's CPU per
 * purchase charged to the API's rush that followed pgbench's).
 */
async function settle(db) {
  await db.query('VACUUM (ANALYZE)');
  await db.query('CHECKPOINT');
}

/** A concert on sale with `seats` seats priced like the seat rush's, and its queue row. */
async function insertConcert(db, concertName, capacity, seats) {
  const { rows } = await db.query(
    `INSERT INTO concerts (name, venue, starts_at, sales_state, queue_capacity, queue_window_seconds)
     VALUES ($1, 'Bench Arena', now() + interval '30 days', 'ON_SALE', $2, 3600) RETURNING id`,
    [concertName, capacity],
  );
  const concertId = rows[0].id;
  await db.query('INSERT INTO queues (concert_id) VALUES ($1)', [concertId]);
  await db.query(
    `INSERT INTO seats (concert_id, number, section, position, price)
     SELECT $1, 'S' || n, 'S' || ((n - 1) / 100), n, ($3::int[])[1 + ((n - 1) * 4 / $2)]
     FROM generate_series(1, $2::int) AS n`,
    [concertId, seats, PRICES],
  );
  return concertId;
}

/** Concerts whose every buyer is ACTIVE before the start; buyers[i] shop in concerts[i % n]. */
async function prepareShop(ctx, { concerts, buyers, seats }) {
  const buyerIds = ctx.takeUsers(buyers);
  await giveWallets(ctx.db, buyerIds, SEATS_PER_PURCHASE * PRICES[0]);
  const shops = [];
  for (let k = 0; k < concerts; k++) {
    const userIds = buyerIds.filter((_, i) => i % concerts === k);
    const concertId = await insertConcert(
      ctx.db,
      `Bench rush ${k + 1}`,
      userIds.length,
      Math.ceil(seats / concerts),
    );
    await fillQueue(ctx.db, { concertId, userIds, capacity: userIds.length, windowSeconds: 3_600 });
    shops.push({ concertId, userIds, pages: Math.ceil(seats / concerts / PAGE_SIZE) });
  }
  await settle(ctx.db);
  return { buyerIds, shops };
}

/**
 * One buyer, as a client would: a page of the seat map, 2 random free seats, a hold; after a
 * 409 the map again and other seats; then one payment. Returns the purchase or why not.
 */
async function buy(ctx, client, record, random, { concertId, pages, token }) {
  const send = (request, recorder) => client.send({ ...request, token, recorders: [recorder] });
  let page = randomInt(random, 1, pages);
  let emptyPages = 0;
  for (let attempt = 0; attempt < MAX_HOLD_ATTEMPTS;) {
    const map = await send(
      { path: `/reservation/${concertId}/seats?page=${page}&limit=${PAGE_SIZE}` },
      record.seatMap,
    );
    if (map.status !== 200) return { failed: `seat map: ${map.status} ${JSON.stringify(map.body)}` };
    const free = map.body.seats.filter((seat) => seat.status === 'AVAILABLE');
    if (free.length < SEATS_PER_PURCHASE) {
      // Another page; after every page, holders may still pay or let go.
      page = (page % pages) + 1;
      emptyPages += 1;
      if (emptyPages >= 3 * pages) return { soldOut: true };
      if (emptyPages % pages === 0) await sleep(100);
      continue;
    }
    attempt += 1;
    const seatIds = sample(random, free, SEATS_PER_PURCHASE).map((seat) => seat.id);
    const hold = await send(
      { method: 'POST', path: '/reservation/seat', json: { concertId, seatIds } },
      record.hold,
    );
    if (hold.status === 409) continue;
    if (hold.status !== 201) return { failed: `hold: ${hold.status} ${JSON.stringify(hold.body)}` };
    const reservationIds = hold.body.reservations.map((reservation) => reservation.id);
    const payment = await send({ method: 'POST', path: '/payment', json: { reservationIds } }, record.pay);
    if (payment.status !== 200)
      return { failed: `payment: ${payment.status} ${JSON.stringify(payment.body)}` };
    return { seatIds, totalAmount: payment.body.totalAmount };
  }
  return { gaveUp: true };
}

function recorders() {
  return { seatMap: new Recorder(), hold: new Recorder(), pay: new Recorder() };
}

async function closedLoopRush(ctx, { concerts, buyers, seats }) {
  const { buyerIds, shops } = await prepareShop(ctx, { concerts, buyers, seats });
  const client = new LoadClient(ctx.origin, buyers);
  const record = recorders();
  const random = seededRandom(buyers * 31 + concerts);
  const purchaseTimes = [];
  const outcomes = [];
  note(`Rush: ${buyers} buyers, ${seats} seats, ${concerts} concert(s)…`);
  try {
    // Open every connection first, so that the rush does not measure TCP handshakes.
    await Promise.all(buyerIds.map(() => client.send({ path: '/health' })));
    const cpu = await measureCpu(ctx.db, ctx.appPid);
    const waits = await sampleWaitEvents(ctx.db, WAIT_SAMPLE_MS);
    const startedAt = performance.now();
    await Promise.all(
      buyerIds.map(async (userId, i) => {
        const shop = shops[i % concerts];
        const began = performance.now();
        const outcome = await buy(ctx, client, record, random, { ...shop, token: ctx.tokenOf(userId) });
        if (outcome.seatIds) purchaseTimes.push({ began, ended: performance.now() });
        outcomes.push(outcome);
      }),
    );
    const lastPurchase = Math.max(...purchaseTimes.map((time) => time.ended));
    const waitEvents = await waits.stop();
    const cpuUsed = withoutSampler(cpu.stop(), waitEvents);
    const spanMs = lastPurchase - startedAt;
    const purchases = outcomes.filter((outcome) => outcome.seatIds);
    const purchasesPerSecond = purchases.length
      ? Math.round((purchases.length / spanMs) * 1000 * 10) / 10
      : 0;
    const hold = record.hold.summary();
    const conflicts = hold.statuses[409] ?? 0;
    const invariants = await checkShop(ctx, { buyerIds, shops, outcomes, record });
    return {
      purchasesPerSecond,
      purchases: summarize(
        purchaseTimes.map((time) => time.ended - time.began),
        { 200: purchases.length },
        spanMs,
      ),
      hold,
      pay: record.pay.summary(),
      invariants,
      facts: {
        buyers,
        seats,
        purchases: purchases.length,
        purchasesPerSecond,
        spanMs: Math.round(spanMs),
        conflictShare: hold.requests ? Math.round((conflicts / hold.requests) * 1000) / 1000 : 0,
        // Each is a request the purchase cost (bench request-costs gives the CPU of each kind).
        requestsPerPurchase: perPurchase(purchases.length, {
          seatPage: record.seatMap.summary().requests,
          hold: hold.requests,
          payment: record.pay.summary().requests,
        }),
        gaveUp: outcomes.filter((outcome) => outcome.gaveUp || outcome.soldOut).length,
        waitEvents,
        cpu: cpuUsed,
        serverCpuMsPerPurchase: perPurchaseMs(
          cpuUsed.appCpuSeconds + cpuUsed.databaseCpuSeconds,
          purchases.length,
        ),
      },
    };
  } finally {
    await client.close();
  }
}

/** Buyers arrive at `rate` a second whatever the app's pace, each buying once: latency without a backlog. */
async function openLoopRush(ctx, { rate, seconds }) {
  const buyers = Math.max(1, Math.round(rate * seconds));
  // Four times the seats sold: conflicts stay rare, and latency is not a sell-out's.
  const seats = buyers * SEATS_PER_PURCHASE * 4;
  const { buyerIds, shops } = await prepareShop(ctx, { concerts: 1, buyers, seats });
  const client = new LoadClient(ctx.origin, Math.min(buyers, 1_000));
  const record = recorders();
  const random = seededRandom(buyers * 17);
  const outcomes = [];
  note(`Rush: open loop, ${rate} buyers/s for ${seconds} s…`);
  try {
    await Promise.all(buyerIds.slice(0, Math.min(buyers, 1_000)).map(() => client.send({ path: '/health' })));
    const cpu = await measureCpu(ctx.db, ctx.appPid);
    const waits = await sampleWaitEvents(ctx.db, WAIT_SAMPLE_MS);
    const startedAt = performance.now();
    await Promise.all(
      buyerIds.map(async (userId, i) => {
        const due = startedAt + (i * 1000) / rate;
        const delay = due - performance.now();
        if (delay > 0) await sleep(delay);
        outcomes.push(await buy(ctx, client, record, random, { ...shops[0], token: ctx.tokenOf(userId) }));
      }),
    );
    const spanMs = performance.now() - startedAt;
    const waitEvents = await waits.stop();
    const cpuUsed = withoutSampler(cpu.stop(), waitEvents);
    const purchases = outcomes.filter((outcome) => outcome.seatIds).length;
    const invariants = await checkShop(ctx, { buyerIds, shops, outcomes, record });
    return {
      hold: record.hold.summary(),
      pay: record.pay.summary(),
      invariants,
      facts: {
        buyers,
        seats,
        purchases,
        purchasesPerSecond: Math.round((purchases / spanMs) * 1000 * 10) / 10,
        waitEvents,
        cpu: cpuUsed,
      },
    };
  } finally {
    await client.close();
  }
}

/** The shop's invariants, read from the database once every payer's window had time to end. */
async function checkShop(ctx, { buyerIds, shops, outcomes, record }) {
  const concertIds = shops.map((shop) => shop.concertId);
  const purchases = outcomes.filter((outcome) => outcome.seatIds);
  const failures = outcomes.filter((outcome) => outcome.failed).map((outcome) => outcome.failed);
  const paidSeatIds = purchases.flatMap((purchase) => purchase.seatIds);
  const clientPaid = purchases.reduce((sum, purchase) => sum + purchase.totalAmount, 0);
  const startingBalance = SEATS_PER_PURCHASE * PRICES[0];

  // Paying ends the payer's window at once; the entry's status and the counters follow in
  // the batched admit (or the sweeper's next pass).
  const deadline = Date.now() + WINDOWS_END_WITHIN_MS;
  let queue;
  for (;;) {
    ({
      rows: [queue],
    } = await ctx.db.query(
      `SELECT (SELECT count(*)::int FROM queue_entries WHERE concert_id = ANY($1::uuid[]) AND status = 'ACTIVE') AS active,
              (SELECT coalesce(sum(active_count), 0)::int FROM queues WHERE concert_id = ANY($1::uuid[])) AS "activeCounter",
              (SELECT count(*)::int FROM queue_entries e WHERE e.concert_id = ANY($1::uuid[]) AND e.status = 'COMPLETED') AS completed`,
      [concertIds],
    ));
    if (queue.completed === purchases.length || Date.now() > deadline) break;
    await sleep(50);
  }
  const {
    rows: [row],
  } = await ctx.db.query(
    `SELECT
       (SELECT count(*)::int FROM seats WHERE concert_id = ANY($1::uuid[]) AND status = 'SOLD') AS sold,
       (SELECT count(*)::int FROM (SELECT seat_id FROM reservations WHERE concert_id = ANY($1::uuid[]) AND status = 'CONFIRMED'
                                   GROUP BY seat_id HAVING count(*) > 1) AS twice) AS "doubleSold",
       (SELECT coalesce(sum(price), 0)::bigint FROM seats WHERE concert_id = ANY($1::uuid[]) AND status = 'SOLD') AS "soldValue",
       (SELECT coalesce(sum(balance), 0)::bigint FROM point_wallets WHERE user_id = ANY($2::uuid[])) AS balances,
       (SELECT coalesce(sum(total_amount), 0)::bigint FROM payments WHERE user_id = ANY($2::uuid[])) AS "paymentsTotal",
       (SELECT count(*)::int FROM point_wallets w WHERE w.user_id = ANY($2::uuid[]) AND w.balance <>
          (SELECT coalesce(sum(amount), 0) FROM point_ledger l WHERE l.user_id = w.user_id)) AS "ledgerMismatches"`,
    [concertIds, buyerIds],
  );
  const charged = buyerIds.length * startingBalance;
  const failed =
    serverFailures(record.hold.summary().statuses) +
    serverFailures(record.pay.summary().statuses) +
    serverFailures(record.seatMap.summary().statuses);
  return [
    {
      name: 'no seat sold twice; sold = seats paid for',
      ok:
        row.doubleSold === 0 &&
        new Set(paidSeatIds).size === paidSeatIds.length &&
        row.sold === paidSeatIds.length,
      detail: `${row.doubleSold} sold twice; ${row.sold} SOLD, ${paidSeatIds.length} paid`,
    },
    {
      name: 'points add up',
      ok:
        Number(row.balances) + Number(row.paymentsTotal) === charged &&
        Number(row.paymentsTotal) === clientPaid &&
        Number(row.paymentsTotal) === Number(row.soldValue) &&
        row.ledgerMismatches === 0,
      detail: `charged ${charged} = balances ${row.balances} + paid ${row.paymentsTotal}; sold value ${row.soldValue}; ${row.ledgerMismatches} wallets ≠ ledger`,
    },
    {
      name: `every payer's window ended within ${WINDOWS_END_WITHIN_MS} ms; counters match`,
      ok: queue.completed === purchases.length && queue.active === queue.activeCounter,
      detail: `${queue.completed} COMPLETED of ${purchases.length} payers; ${queue.active} ACTIVE, counter ${queue.activeCounter}`,
    },
    {
      name: 'every buyer bought or found no seats; no 5xx',
      ok: failures.length === 0 && failed === 0,
      detail: failures.length ? failures.slice(0, 3).join(' | ') : `${failed} 5xx or network errors`,
    },
  ];
}
