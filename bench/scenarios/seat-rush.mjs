import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConcert, giveWallets, watchActiveCount } from '../lib/fixtures.mjs';
import { Recorder } from '../lib/load.mjs';
import { progressBar } from '../lib/progress.mjs';
import { randomInt, sample, seededRandom } from '../lib/random.mjs';
import { serverFailures } from '../lib/stats.mjs';

export const name = 'seat-rush';

const PRICES = [40_000, 30_000, 20_000, 10_000];
const MAX_SEATS = 4;
const PAGE_SIZE = 100;
/** Waiting buyers poll when Retry-After says, but at least this often, so the run stays bounded. */
const MAX_POLL_MS = 5_000;
/** Attempts to hold seats (each after a fresh look at the seat map) before a buyer gives up. */
const MAX_HOLD_ATTEMPTS = 10;
/** Looks at a seat map with nothing available (others still paying) before a buyer gives up. */
const MAX_EMPTY_LOOKS = 40;
/** Buyers who enter the queue and never come back (closed the tab): 3 in 10, spread evenly. */
const isNoShow = (index) => index % 10 < 3;
const WINDOW_SECONDS = 900;

/**
 * A concert goes on sale to more buyers than it has seats. Each buyer enters the queue,
 * polls until active, views a page of the seat map, holds 1–4 random available seats,
 * retries with other seats on 409, and pays. Buyers who find nothing leave the queue, so
 * the next one gets in. Ends when the last seat is sold (the buyers still waiting stop) or
 * at the time bound. Three buyers in ten never come back after entering: their places lapse
 * after the claim time (NO_SHOW) and go on; the run reports the capacity-seconds they took,
 * and how soon the others claimed their places after being admitted.
 */
export async function run(ctx) {
  const { rushSeats, rushBuyers, rushCapacity: capacity, rushClaimSeconds: claimSeconds } = ctx.sizes;
  const prices = Array.from(
    { length: rushSeats },
    (_, i) => PRICES[Math.floor((i / rushSeats) * PRICES.length)],
  );
  const concert = await createConcert(ctx.db, {
    name: 'Bench seat rush',
    capacity,
    windowSeconds: WINDOW_SECONDS,
    claimSeconds,
    prices,
  });
  const buyerIds = ctx.userIds.slice(0, rushBuyers);
  const startingBalance = MAX_SEATS * PRICES[0];
  await giveWallets(ctx.db, buyerIds, startingBalance);

  const record = {
    all: new Recorder(),
    enter: new Recorder(),
    poll: new Recorder(),
    seatMap: new Recorder(),
    hold: new Recorder(),
    pay: new Recorder(),
    leave: new Recorder(),
  };
  const pages = Math.ceil(rushSeats / PAGE_SIZE);
  const random = seededRandom(rushSeats);
  const deadline = ctx.deadline();
  const purchases = [];
  const unexpected = [];
  const outcome = {
    served: 0,
    gaveUp: 0,
    stoppedWaiting: 0,
    holdConflicts: 0,
    maxRetryAfterMs: 0,
    missedClaims: 0,
  };
  let seatsSold = 0;
  let soldOutAt = null;
  const isOver = () => soldOutAt !== null || Date.now() > deadline;
  const progress = progressBar('Seat rush: seats sold', rushSeats);

  const send = (request, recorder) => ctx.app.send({ ...request, recorders: [record.all, recorder] });
  const noteUnexpected = (what, response) => {
    if (unexpected.length < 20)
      unexpected.push(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
  };

  const enter = (token) => send({ path: `/concerts/${concert.id}/queue-entry`, token }, record.enter);

  /** Polls until the window opens; false when the run ends first. */
  const waitForWindow = async (token) => {
    let response = await enter(token);
    for (;;) {
      if (isOver()) return false;
      if (response.status === 200 || response.status === 201) {
        // Unclaimed (claimBy) or claimed: the seat map that follows claims it.
        if (response.body.status === 'ACTIVE') return true;
        outcome.maxRetryAfterMs = Math.max(outcome.maxRetryAfterMs, response.body.retryAfterMs);
        await sleep(Math.min(response.body.retryAfterMs, MAX_POLL_MS));
        if (isOver()) return false;
        response = await send({ path: `/concerts/${concert.id}/queue`, token }, record.poll);
      } else if (response.status === 410) {
        // The place opened and lapsed between two polls (NO_SHOW): queue again.
        outcome.missedClaims += 1;
        response = await enter(token);
      } else {
        noteUnexpected('queue', response);
        return false;
      }
    }
  };

  /** Holds and pays; returns 'bought', 'nothing-left', or 'failed'. */
  const shop = async (token) => {
    let page = randomInt(random, 1, pages);
    let emptyLooks = 0;
    for (let attempt = 0; attempt < MAX_HOLD_ATTEMPTS;) {
      if (isOver()) return 'nothing-left';
      const map = await send(
        { path: `/reservation/${concert.id}/seats?page=${page}&limit=${PAGE_SIZE}`, token },
        record.seatMap,
      );
      if (map.status !== 200) {
        noteUnexpected('seat map', map);
        return 'failed';
      }
      const available = map.body.seats.filter((seat) => seat.status === 'AVAILABLE');
      if (!available.length) {
        emptyLooks += 1;
        if (emptyLooks >= MAX_EMPTY_LOOKS) return 'nothing-left';
        // Try the next page; after a full round, give holders a moment to pay.
        page = (page % pages) + 1;
        if (emptyLooks % pages === 0) await sleep(250);
        continue;
      }
      attempt += 1;
      const chosen = sample(random, available, Math.min(available.length, randomInt(random, 1, MAX_SEATS)));
      const hold = await send(
        {
          method: 'POST',
          path: '/reservation/seat',
          token,
          json: { concertId: concert.id, seatIds: chosen.map((seat) => seat.id) },
        },
        record.hold,
      );
      if (hold.status === 409) {
        outcome.holdConflicts += 1;
        continue;
      }
      if (hold.status !== 201) {
        noteUnexpected('hold', hold);
        return 'failed';
      }
      const reservationIds = hold.body.reservations.map((reservation) => reservation.id);
      const payment = await send(
        { method: 'POST', path: '/payment', token, json: { reservationIds } },
        record.pay,
      );
      if (payment.status !== 200) {
        noteUnexpected('payment', payment);
        return 'failed';
      }
      purchases.push({
        seatIds: hold.body.reservations.map((reservation) => reservation.seatId),
        totalAmount: payment.body.totalAmount,
      });
      seatsSold += reservationIds.length;
      progress.update(seatsSold);
      if (seatsSold >= rushSeats && soldOutAt === null) soldOutAt = performance.now();
      return 'bought';
    }
    return 'nothing-left';
  };

  const buyer = async (index) => {
    const token = ctx.token(index);
    if (isNoShow(index)) {
      const entered = await enter(token);
      if (entered.status !== 201) noteUnexpected('no-show entry', entered);
      return;
    }
    if (!(await waitForWindow(token))) {
      outcome.stoppedWaiting += 1;
      return;
    }
    const result = await shop(token);
    if (result === 'bought') {
      outcome.served += 1;
      return;
    }
    outcome.gaveUp += 1;
    // Free the place for the next buyer.
    const left = await send(
      { method: 'DELETE', path: `/concerts/${concert.id}/queue-entry`, token },
      record.leave,
    );
    if (left.status !== 204) noteUnexpected('leave', left);
  };

  const watcher = watchActiveCount(ctx.db, concert.id);
  const startedAt = performance.now();
  await Promise.all(buyerIds.map((_, index) => buyer(index)));
  progress.done();
  const activeSeen = await watcher.stop();

  const check = await checkDatabase(ctx.db, concert.id, buyerIds, startingBalance);
  const noShowIds = buyerIds.filter((_, index) => isNoShow(index));
  const shows = await measureClaims(ctx.db, concert.id, noShowIds);
  const noShowSlackSeconds = 3;
  const paidSeatIds = purchases.flatMap((purchase) => purchase.seatIds);
  const clientPaid = purchases.reduce((sum, purchase) => sum + purchase.totalAmount, 0);
  const sellOutMs = soldOutAt === null ? null : soldOutAt - startedAt;
  const summaries = Object.fromEntries(
    Object.entries(record).map(([key, recorder]) => [key, recorder.summary()]),
  );
  const failures = serverFailures(summaries.all.statuses);

  return {
    name,
    title: 'Seat rush',
    rows: [
      {
        key: 'all',
        label: 'Seat rush: all requests',
        limit: 'select',
        timedOut: sellOutMs === null,
        ...summaries.all,
      },
      {
        key: 'hold',
        label: 'Seat rush: hold seats',
        limit: 'update',
        demandPaced: true,
        timedOut: sellOutMs === null,
        ...summaries.hold,
      },
      {
        key: 'pay',
        label: 'Seat rush: payment',
        limit: 'update',
        demandPaced: true,
        timedOut: sellOutMs === null,
        ...summaries.pay,
      },
    ],
    details: summaries,
    invariants: [
      {
        name: `sold out (${rushSeats} seats) within the time bound`,
        ok: sellOutMs !== null && check.sold === rushSeats,
        detail: `${check.sold} sold`,
      },
      {
        name: 'no seat sold twice',
        ok: check.doubleSold === 0 && new Set(paidSeatIds).size === paidSeatIds.length,
        detail: `${check.doubleSold} seats with two confirmed reservations; ${paidSeatIds.length} seats paid, ${new Set(paidSeatIds).size} distinct`,
      },
      {
        name: 'sold seats = confirmed reservations = seats paid for',
        ok:
          check.sold === check.confirmed &&
          check.confirmed === paidSeatIds.length &&
          check.soldWithoutConfirmed === 0,
        detail: `${check.sold} SOLD, ${check.confirmed} CONFIRMED, ${paidSeatIds.length} paid, ${check.soldWithoutConfirmed} sold without one`,
      },
      {
        name: 'points add up (balances + payments = charges; ledger = balance; payment = its seats)',
        ok:
          check.balances + check.paymentsTotal === check.charged &&
          check.ledgerMismatches === 0 &&
          check.paymentMismatches === 0 &&
          check.paymentsTotal === clientPaid &&
          check.paymentsTotal === check.soldValue,
        detail: `charged ${check.charged} = balances ${check.balances} + paid ${check.paymentsTotal}; sold value ${check.soldValue}; ${check.ledgerMismatches} wallets ≠ ledger; ${check.paymentMismatches} payments ≠ seats`,
      },
      {
        name: `at most ${capacity} active at any sampled moment`,
        ok: activeSeen.max <= capacity && check.active <= capacity && check.active === check.activeCounter,
        detail: `max ${activeSeen.max} over ${activeSeen.samples} samples; ${check.active} active rows, counter ${check.activeCounter} at the end`,
      },
      {
        name: 'every hold answered 201 or 409, every payment 200',
        ok: unexpected.length === 0,
        detail: unexpected.length ? unexpected.slice(0, 3).join(' | ') : 'yes',
      },
      {
        name: `no-shows hold a place at most the claim time (${claimSeconds} s, + ${noShowSlackSeconds} s for the sweeper)`,
        ok: (shows.maxHeldSeconds ?? 0) <= claimSeconds + noShowSlackSeconds,
        detail: `${shows.admitted} no-shows admitted, longest held ${shows.maxHeldSeconds ?? '–'} s`,
      },
      { name: 'no 5xx or connection errors', ok: failures === 0, detail: `${failures}` },
    ],
    facts: {
      capacity,
      seats: rushSeats,
      buyers: rushBuyers,
      timeToSellOutMs: sellOutMs === null ? null : Math.round(sellOutMs),
      purchases: purchases.length,
      purchasesPerSecond: sellOutMs ? Math.round((purchases.length / sellOutMs) * 1000 * 10) / 10 : null,
      seatsPerSecond: sellOutMs ? Math.round((paidSeatIds.length / sellOutMs) * 1000 * 10) / 10 : null,
      holdConflicts: outcome.holdConflicts,
      buyersServed: outcome.served,
      buyersGaveUp: outcome.gaveUp,
      buyersStillWaitingAtSellOut: outcome.stoppedWaiting,
      maxRetryAfterMs: outcome.maxRetryAfterMs,
      buyersWhoMissedTheirClaim: outcome.missedClaims,
      noShows: {
        buyers: noShowIds.length,
        claimSeconds,
        windowSeconds: WINDOW_SECONDS,
        ...shows,
        // Before claims, a no-show held a whole window: the same admissions, each for WINDOW_SECONDS.
        capacityShareBefore:
          shows.admitted + shows.otherSeconds > 0
            ? round3(
                (shows.admitted * WINDOW_SECONDS) / (shows.admitted * WINDOW_SECONDS + shows.otherSeconds),
              )
            : null,
      },
    },
  };
}

const round3 = (value) => Math.round(value * 1000) / 1000;

/**
 * How long places stayed taken, from admission until handed on (ended, else now): by the
 * no-shows, and by everyone else; and, for the places claimed, how long after admission.
 */
async function measureClaims(db, concertId, noShowIds) {
  const { rows } = await db.query(
    `WITH held AS (
       SELECT e.user_id = ANY($2::uuid[]) AS no_show, e.claimed_at - e.activated_at AS to_claim,
              extract(epoch FROM coalesce(e.ended_at, clock_timestamp()) - e.activated_at)::float8 AS seconds
       FROM queue_entries e WHERE e.concert_id = $1 AND e.activated_at IS NOT NULL
     )
     SELECT count(*) FILTER (WHERE no_show)::int AS admitted,
            coalesce(sum(seconds) FILTER (WHERE no_show), 0)::float8 AS "noShowSeconds",
            coalesce(sum(seconds) FILTER (WHERE NOT no_show), 0)::float8 AS "otherSeconds",
            max(seconds) FILTER (WHERE no_show)::float8 AS "maxHeldSeconds",
            count(to_claim)::int AS claims,
            extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY to_claim))::float8 AS "claimP50Seconds",
            extract(epoch FROM percentile_cont(0.9) WITHIN GROUP (ORDER BY to_claim))::float8 AS "claimP90Seconds"
     FROM held`,
    [concertId, noShowIds],
  );
  const row = rows[0];
  const total = row.noShowSeconds + row.otherSeconds;
  const round = (value) => (value === null ? null : Math.round(value * 100) / 100);
  return {
    admitted: row.admitted,
    otherSeconds: row.otherSeconds,
    capacityShare: total > 0 ? round3(row.noShowSeconds / total) : null,
    maxHeldSeconds: round(row.maxHeldSeconds),
    claims: row.claims,
    claimP50Seconds: round(row.claimP50Seconds),
    claimP90Seconds: round(row.claimP90Seconds),
  };
}

async function checkDatabase(db, concertId, buyerIds, startingBalance) {
  const { rows } = await db.query(
    `SELECT
       (SELECT count(*)::int FROM seats WHERE concert_id = $1 AND status = 'SOLD') AS sold,
       (SELECT coalesce(sum(price), 0)::bigint FROM seats WHERE concert_id = $1 AND status = 'SOLD') AS "soldValue",
       (SELECT count(*)::int FROM reservations WHERE concert_id = $1 AND status = 'CONFIRMED') AS confirmed,
       (SELECT count(*)::int FROM (SELECT seat_id FROM reservations WHERE concert_id = $1 AND status = 'CONFIRMED'
                                   GROUP BY seat_id HAVING count(*) > 1) AS twice) AS "doubleSold",
       (SELECT count(*)::int FROM seats s WHERE s.concert_id = $1 AND s.status = 'SOLD' AND NOT EXISTS
          (SELECT 1 FROM reservations r WHERE r.seat_id = s.id AND r.status = 'CONFIRMED')) AS "soldWithoutConfirmed",
       (SELECT coalesce(sum(balance), 0)::bigint FROM point_wallets WHERE user_id = ANY($2::uuid[])) AS balances,
       (SELECT coalesce(sum(total_amount), 0)::bigint FROM payments WHERE user_id = ANY($2::uuid[])) AS "paymentsTotal",
       (SELECT count(*)::int FROM point_wallets w WHERE w.user_id = ANY($2::uuid[]) AND w.balance <>
          (SELECT coalesce(sum(amount), 0) FROM point_ledger l WHERE l.user_id = w.user_id)) AS "ledgerMismatches",
       (SELECT count(*)::int FROM payments p WHERE p.user_id = ANY($2::uuid[]) AND p.total_amount <>
          (SELECT coalesce(sum(price), 0) FROM reservations r WHERE r.payment_id = p.id)) AS "paymentMismatches",
       (SELECT count(*)::int FROM queue_entries WHERE concert_id = $1 AND status = 'ACTIVE') AS active,
       (SELECT active_count FROM queues WHERE concert_id = $1) AS "activeCounter"`,
    [concertId, buyerIds],
  );
  const row = rows[0];
  return {
    ...row,
    soldValue: Number(row.soldValue),
    balances: Number(row.balances),
    paymentsTotal: Number(row.paymentsTotal),
    charged: buyerIds.length * startingBalance,
  };
}
