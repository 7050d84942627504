import { createConcert, fillQueue } from '../lib/fixtures.mjs';
import { Recorder, runClosedLoop } from '../lib/load.mjs';
import { note, progressBar } from '../lib/progress.mjs';
import { randomInt, seededRandom } from '../lib/random.mjs';
import { serverFailures } from '../lib/stats.mjs';

export const name = 'polling';

/**
 * GET /concerts/:id/queue by users spread uniformly over queues of growing length, filled
 * straight in the database. Equal request counts per size, so the figures compare directly;
 * every answer's position is checked against the ticket it must equal.
 */
export async function run(ctx) {
  const { pollSizes, pollRequests: count, pollCapacity: capacity } = ctx.sizes;
  const rows = [];
  const invariants = [];
  for (const size of pollSizes) {
    note(`Filling a queue with ${size} users…`);
    const concert = await createConcert(ctx.db, {
      name: `Bench polling ${size}`,
      capacity,
      windowSeconds: 3_600,
    });
    await fillQueue(ctx.db, {
      concertId: concert.id,
      userIds: ctx.userIds.slice(0, size),
      capacity,
      windowSeconds: 3_600,
    });

    const random = seededRandom(size);
    const poll = (recorders, check) => async () => {
      const ticket = randomInt(random, 1, size);
      const { status, body } = await ctx.app.send({
        path: `/concerts/${concert.id}/queue`,
        token: ctx.token(ticket - 1),
        recorders,
      });
      check?.(ticket, status, body);
    };
    await runClosedLoop({
      count: ctx.sizes.warmup,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: poll([]),
    });

    const recorder = new Recorder();
    let wrong = 0;
    let firstWrong = '';
    const progress = progressBar(`Polling, ${size} waiting`, count);
    const { timedOut } = await runClosedLoop({
      count,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: poll([recorder], (ticket, status, body) => {
        const expectedState = ticket <= capacity ? 'ACTIVE' : 'WAITING';
        if (status === 200 && body.queuePosition === ticket && body.status === expectedState) return;
        wrong += 1;
        firstWrong ||= `ticket ${ticket}: ${status} ${JSON.stringify(body)}`;
      }),
      onDone: (done) => progress.update(done),
    });
    progress.done();
    const summary = recorder.summary();
    rows.push({
      key: `waiting-${size}`,
      label: `Polling: ${size} waiting`,
      limit: 'select',
      timedOut,
      size,
      ...summary,
    });
    invariants.push({
      name: `${size} waiting: every answer 200 with position = ticket, ACTIVE iff ticket ≤ ${capacity}`,
      ok: wrong === 0 && serverFailures(summary.statuses) === 0 && summary.requests > 0,
      detail: wrong ? `${wrong} wrong, first: ${firstWrong}` : `${summary.requests} checked`,
    });
    if (timedOut)
      invariants.push({
        name: `${size} waiting: ${count} polls within the time bound`,
        ok: false,
        detail: `${summary.requests} ran`,
      });
  }
  const smallest = rows[0];
  const largest = rows.at(-1);
  return {
    name,
    title: 'Position polling',
    rows,
    invariants,
    facts: {
      capacity,
      throughputRatioLargestToSmallest: Math.round((largest.throughput / smallest.throughput) * 1000) / 1000,
      p50RatioLargestToSmallest: Math.round((largest.latencyMs.p50 / smallest.latencyMs.p50) * 1000) / 1000,
    },
  };
}
