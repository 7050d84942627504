import { Buffer } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createConcert } from '../lib/fixtures.mjs';
import { Recorder, runClosedLoop } from '../lib/load.mjs';
import { note, progressBar } from '../lib/progress.mjs';
import { serverFailures } from '../lib/stats.mjs';

export const name = 'draw';

/** CPU milliseconds a local PostgreSQL backend has used (utime + stime), or null where /proc cannot tell. */
function backendCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
  } catch {
    return null;
  }
}

/**
 * The pre-queue's draw (issue 21): `drawEntrants` users pre-queued straight in SQL, polled
 * before the opening; then the opening, and the draw's transaction, timed here: the same
 * call of draw_pre_queue the sweeper makes (run by this process, so that its duration is
 * measured, not guessed; the app's sweeper then finds it drawn). While it runs, a closed loop
 * of pre-queued users polls, `drawLate` late users enter and as many enter another concert. After it, `drawPolls` pre-queued
 * users poll once each: their first poll reads their entry and finds their drawn place.
 */
export async function run(ctx) {
  const { drawEntrants: entrants, drawPolls: polls, drawLate: late } = ctx.sizes;
  const capacity = ctx.sizes.pollCapacity;
  if (entrants + 2 * late > ctx.userIds.length) throw new Error('Not enough bench users for the draw');

  note(`Pre-queuing ${entrants.toLocaleString('en-US')} users…`);
  const concert = await createConcert(ctx.db, {
    name: `Bench draw ${entrants}`,
    capacity,
    windowSeconds: 3_600,
  });
  await ctx.db.query(
    `UPDATE concerts SET sales_open_at = now() + interval '1 hour', pre_queue_opens_seconds = 7200, draw_seed = $2
     WHERE id = $1`,
    [concert.id, randomBytes(32)],
  );
  await ctx.db.query(
    `INSERT INTO queue_entries (concert_id, user_id, status)
     SELECT $1, u.id, 'PRE_QUEUE' FROM unnest($2::uuid[]) AS u(id)`,
    [concert.id, ctx.userIds.slice(0, entrants)],
  );
  await ctx.db.query('ANALYZE queue_entries');
  // The same entries into another concert, at the same time: what an entry costs on this machine
  // then, without the draw's locks in its way.
  const control = await createConcert(ctx.db, {
    name: `Bench draw control ${entrants}`,
    capacity,
    windowSeconds: 3_600,
  });
  const poll = (userIndex, recorder) =>
    ctx.app.send({
      path: `/concerts/${concert.id}/queue`,
      token: ctx.token(userIndex),
      recorders: [recorder],
    });

  // Before the opening: answered from the entry, PRE_QUEUE, no position.
  const before = new Recorder();
  let preQueueAnswers = 0;
  await before.during(() =>
    runClosedLoop({
      count: polls,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: async (i) => {
        const { body } = await poll(i % entrants, before);
        if (body?.status === 'PRE_QUEUE' && body.queuePosition === null) preQueueAnswers++;
      },
    }),
  );

  // The opening and the draw, with polls and late entries running throughout.
  note('Opening: the draw, with polls and late entries meanwhile…');
  const during = new Recorder();
  const lateEntries = new Recorder();
  let drawing = true;
  let i = 0;
  const pollWorker = async () => {
    while (drawing) await poll(i++ % entrants, during);
  };
  const polling = Promise.all(Array.from({ length: Math.max(1, ctx.connections - 8) }, pollWorker));
  let lateSent = 0;
  const lateWorker = async () => {
    while (lateSent < late) {
      const index = entrants + lateSent++;
      await ctx.app.send({
        method: 'POST',
        path: `/concerts/${concert.id}/queue-entry`,
        token: ctx.token(index),
        recorders: [lateEntries],
      });
    }
  };
  const controlEntries = new Recorder();
  let controlSent = 0;
  const controlWorker = async () => {
    while (controlSent < late) {
      const index = entrants + late + controlSent++;
      await ctx.app.send({
        method: 'POST',
        path: `/concerts/${control.id}/queue-entry`,
        token: ctx.token(index),
        recorders: [controlEntries],
      });
    }
  };
  // Let the polls get going, so that the draw runs under load.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const client = await ctx.db.connect();
  let openingMs;
  let drawMs;
  let drawCpuMs;
  let drawn;
  let entering;
  try {
    const {
      rows: [{ pid }],
    } = await client.query('SELECT pg_backend_pid() AS pid');
    const cpuBefore = backendCpuMs(pid);
    const startedAt = performance.now();
    // The opening, then the draw, as the sweeper runs them: two transactions. The opening holds
    // the sales lock (exclusive); the late entries start as it commits, and enter while the
    // draw's tickets are given (they no longer wait for it).
    await client.query('BEGIN');
    await client.query('UPDATE concerts SET sales_open_at = clock_timestamp() WHERE id = $1', [concert.id]);
    await client.query('SELECT outcome, tickets FROM open_sales_for_draw($1)', [concert.id]);
    await client.query('COMMIT');
    openingMs = performance.now() - startedAt;
    entering = Promise.all([
      ...Array.from({ length: 8 }, lateWorker),
      ...Array.from({ length: 8 }, controlWorker),
    ]);
    await client.query('BEGIN');
    ({
      rows: [drawn],
    } = await client.query('SELECT outcome, entrants, admitted FROM draw_pre_queue($1)', [concert.id]));
    await client.query('COMMIT');
    drawMs = performance.now() - startedAt;
    const cpuAfter = backendCpuMs(pid);
    // The draw's own CPU: on this shared machine its wall time also counts the others' load.
    drawCpuMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  } finally {
    client.release();
  }
  // A little after the commit, so that polls straddle it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  drawing = false;
  await Promise.all([polling, entering]);

  // The first poll of each pre-queued user after the draw: one read of the entry, then the drawn place.
  const after = new Recorder();
  const progress = progressBar('First polls after the draw', polls);
  const positions = new Map();
  await after.during(() =>
    runClosedLoop({
      count: polls,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: async (i) => {
        const userIndex = Math.floor((i * entrants) / polls);
        const { body } = await poll(userIndex, after);
        if (body?.queuePosition) positions.set(ctx.userIds[userIndex], body.queuePosition);
      },
      onDone: (done) => progress.update(done),
    }),
  );
  progress.done();

  // The published order, recomputed from the seed as a fan's script would.
  const { rows: seedRows } = await ctx.db.query('SELECT draw_seed AS seed FROM concerts WHERE id = $1', [
    concert.id,
  ]);
  const { rows: drawnRows } = await ctx.db.query(
    `SELECT id, user_id AS "userId", ticket::int AS ticket FROM queue_entries
     WHERE concert_id = $1 AND ticket <= $2 ORDER BY ticket`,
    [concert.id, entrants],
  );
  const seed = seedRows[0].seed;
  const key = (id) =>
    createHash('sha256')
      .update(Buffer.concat([seed, Buffer.from(id.replaceAll('-', ''), 'hex')]))
      .digest();
  const recomputed = drawnRows
    .map((row) => ({ id: row.id, key: key(row.id) }))
    .sort((a, b) => Buffer.compare(a.key, b.key) || (a.id < b.id ? -1 : 1));
  const orderMatches =
    drawnRows.length === entrants &&
    recomputed.every((entry, i) => entry.id === drawnRows[i].id && drawnRows[i].ticket === i + 1);
  const ticketOf = new Map(drawnRows.map((row) => [row.userId, row.ticket]));
  const wrongPositions = [...positions].filter(
    ([userId, position]) => ticketOf.get(userId) !== position,
  ).length;
  const { rows: lateRows } = await ctx.db.query(
    `SELECT count(*)::int AS entered, min(ticket)::int AS first FROM queue_entries
     WHERE concert_id = $1 AND user_id = ANY($2::uuid[])`,
    [concert.id, ctx.userIds.slice(entrants, entrants + late)],
  );

  const duringSummary = during.summary();
  const lateSummary = lateEntries.summary();
  const controlSummary = controlEntries.summary();
  const afterSummary = after.summary();
  const beforeSummary = before.summary();
  return {
    name,
    title: 'Pre-queue draw',
    rows: [
      {
        key: 'before',
        label: `Draw: polls before the opening (${entrants.toLocaleString('en-US')} pre-queued)`,
        limit: 'select',
        ...beforeSummary,
      },
      { key: 'during', label: 'Draw: polls while drawing', limit: 'select', ...duringSummary },
      { key: 'late', label: 'Draw: late entries while drawing', limit: 'update', ...lateSummary },
      {
        key: 'control',
        label: 'Draw: entries into another concert meanwhile',
        limit: 'update',
        ...controlSummary,
      },
      { key: 'after', label: 'Draw: first poll of each after the draw', limit: 'select', ...afterSummary },
    ],
    invariants: [
      {
        name: 'the draw ran once, over every entrant',
        ok: drawn.outcome === 'DRAWN' && drawn.entrants === entrants,
        detail: `${drawn.outcome}, ${drawn.entrants} entrants, ${drawn.admitted} admitted`,
      },
      {
        name: 'tickets 1..k in the order recomputed from the seed',
        ok: orderMatches,
        detail: `${drawnRows.length} tickets`,
      },
      {
        name: 'PRE_QUEUE, no position, before the opening',
        ok: preQueueAnswers === beforeSummary.requests,
        detail: `${preQueueAnswers} of ${beforeSummary.requests}`,
      },
      {
        name: 'first polls after the draw show the drawn place',
        ok: positions.size === afterSummary.requests && wrongPositions === 0,
        detail: `${positions.size} positions, ${wrongPositions} wrong`,
      },
      {
        name: 'late entries queue behind the drawn ones',
        ok: lateRows[0].entered === lateSent && (lateRows[0].entered === 0 || lateRows[0].first > entrants),
        detail: `${lateRows[0].entered} entered, first ticket ${lateRows[0].first}`,
      },
      {
        name: 'no 5xx or connection errors',
        ok: [beforeSummary, duringSummary, lateSummary, controlSummary, afterSummary].every(
          (s) => serverFailures(s.statuses) === 0,
        ),
        detail: `${[beforeSummary, duringSummary, lateSummary, controlSummary, afterSummary].reduce((sum, s) => sum + serverFailures(s.statuses), 0)}`,
      },
    ],
    facts: {
      entrants,
      openingMs: Math.round(openingMs),
      drawMs: Math.round(drawMs),
      drawCpuMs,
      pollsDuringMaxMs: duringSummary.latencyMs.max,
      lateEntriesMaxMs: lateSummary.latencyMs.max,
      lateEntriesP99Ms: lateSummary.latencyMs.p99,
      controlEntriesMaxMs: controlSummary.latencyMs.max,
      controlEntriesP99Ms: controlSummary.latencyMs.p99,
      firstPollsAfter: afterSummary.latencyMs,
    },
  };
}
