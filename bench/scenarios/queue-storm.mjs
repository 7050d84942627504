import { createConcert, watchActiveCount } from '../lib/fixtures.mjs';
import { Recorder, runClosedLoop } from '../lib/load.mjs';
import { progressBar } from '../lib/progress.mjs';
import { serverFailures } from '../lib/stats.mjs';

export const name = 'queue-storm';

/**
 * Everyone enters one concert's queue at once: one GET /concerts/:id/queue-entry per user,
 * `connections` in flight. Every answer must be a new place, the places 1..N exactly once,
 * and never more than the concert's capacity active, at any moment.
 */
export async function run(ctx) {
  const { storm: count, stormCapacity: capacity } = ctx.sizes;
  const concert = await createConcert(ctx.db, { name: 'Bench queue storm', capacity, windowSeconds: 3_600 });
  const recorder = new Recorder();
  const answers = new Array(count);
  const watcher = watchActiveCount(ctx.db, concert.id);
  const progress = progressBar('Queue storm', count);
  const { completed, timedOut } = await runClosedLoop({
    count,
    concurrency: ctx.connections,
    deadline: ctx.deadline(),
    task: async (i) => {
      const { status, body } = await ctx.app.send({
        path: `/concerts/${concert.id}/queue-entry`,
        token: ctx.token(i),
        recorders: [recorder],
      });
      answers[i] = { status, position: body?.queuePosition, state: body?.status, userId: body?.userId };
    },
    onDone: (done) => progress.update(done),
  });
  progress.done();
  const activeSeen = await watcher.stop();

  const summary = recorder.summary();
  const given = answers.filter(Boolean);
  const positions = given.map((answer) => answer.position).sort((a, b) => a - b);
  const denseFromOne = positions.every((position, index) => position === index + 1);
  const activeAnswers = given.filter((answer) => answer.state === 'ACTIVE');
  const expectedActive = Math.min(capacity, completed);
  const wrongUser = given.filter((answer, i) => answer.userId !== ctx.userIds[i]).length;
  const { rows } = await ctx.db.query(
    `SELECT count(*)::int AS entries, count(DISTINCT user_id)::int AS users, min(ticket)::int AS first, max(ticket)::int AS last,
            count(*) FILTER (WHERE status = 'ACTIVE')::int AS active,
            (SELECT active_count FROM queues WHERE concert_id = $1) AS "activeCounter"
     FROM queue_entries WHERE concert_id = $1`,
    [concert.id],
  );
  const db = rows[0];

  return {
    name,
    title: 'Queue storm',
    rows: [
      {
        key: 'enter',
        label: `Queue storm: ${count.toLocaleString('en-US')} enter`,
        limit: 'update',
        timedOut,
        ...summary,
      },
    ],
    invariants: [
      {
        name: `all ${count} users entered (201) within the time bound`,
        ok: !timedOut && summary.statuses[201] === count,
        detail: `${summary.statuses[201] ?? 0} × 201 of ${completed} sent`,
      },
      {
        name: 'no 5xx or connection errors',
        ok: serverFailures(summary.statuses) === 0,
        detail: `${serverFailures(summary.statuses)}`,
      },
      {
        name: `positions are exactly 1..${completed}, no duplicates`,
        ok: positions.length === completed && denseFromOne,
        detail: `${positions.length} positions, ${positions[0]}..${positions.at(-1)}`,
      },
      { name: 'each answer is for the caller', ok: wrongUser === 0, detail: `${wrongUser} foreign` },
      {
        name: `tickets 1..${completed} in the database, one per user`,
        ok: db.entries === completed && db.users === completed && db.first === 1 && db.last === completed,
        detail: `${db.entries} entries, ${db.users} users, tickets ${db.first}..${db.last}`,
      },
      {
        name: `at most ${capacity} active at any sampled moment, exactly ${expectedActive} at the end`,
        ok:
          activeSeen.max <= capacity &&
          db.active === expectedActive &&
          db.activeCounter === expectedActive &&
          activeAnswers.length === expectedActive &&
          activeAnswers.every((answer) => answer.position <= capacity),
        detail: `max ${activeSeen.max} over ${activeSeen.samples} samples; ${db.active} active rows, counter ${db.activeCounter}, ${activeAnswers.length} ACTIVE answers`,
      },
    ],
    facts: { capacity, entries: completed },
  };
}
