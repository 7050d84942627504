import { createConcert, fillQueue } from '../lib/fixtures.mjs';
import { Recorder, runClosedLoop } from '../lib/load.mjs';
import { note, progressBar } from '../lib/progress.mjs';
import { randomInt, seededRandom } from '../lib/random.mjs';
import { serverFailures } from '../lib/stats.mjs';

export const name = 'polling';

/** Each size's polls run in this many stretches, taking turns, so drift and noise fall on all sizes alike. */
const ROUNDS = 6;

/**
 * GET /concerts/:id/queue by users spread uniformly over queues of growing length, filled
 * straight in the database. Equal request counts per size, so the figures compare directly;
 * every answer's position is checked against the ticket it must equal.
 */
export async function run(ctx) {
  const { pollSizes, pollRequests: count, pollCapacity: capacity } = ctx.sizes;
  const queues = [];
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
    queues.push({
      size,
      concert,
      random: seededRandom(size),
      recorder: new Recorder(),
      wrong: 0,
      firstWrong: '',
      ran: 0,
    });
  }

  const poll = (queue, recorders, check) => async () => {
    const ticket = randomInt(queue.random, 1, queue.size);
    const { status, body } = await ctx.app.send({
      path: `/concerts/${queue.concert.id}/queue`,
      token: ctx.token(ticket - 1),
      recorders,
    });
    check?.(ticket, status, body);
  };
  const verify = (queue) => (ticket, status, body) => {
    queue.ran += 1;
    const expectedState = ticket <= capacity ? 'ACTIVE' : 'WAITING';
    if (status === 200 && body.queuePosition === ticket && body.status === expectedState) return;
    queue.wrong += 1;
    queue.firstWrong ||= `ticket ${ticket}: ${status} ${JSON.stringify(body)}`;
  };

  for (const queue of queues) {
    await runClosedLoop({
      count: ctx.sizes.warmup,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: poll(queue, []),
    });
  }

  const progress = progressBar('Polling', count * queues.length);
  const deadline = ctx.deadline();
  let done = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const perRound = Math.ceil(count / ROUNDS);
    for (let turn = 0; turn < queues.length; turn++) {
      const queue = queues[(round + turn) % queues.length];
      const before = done;
      await queue.recorder.during(() =>
        runClosedLoop({
          count: Math.min(perRound, count - queue.ran),
          concurrency: ctx.connections,
          deadline,
          task: poll(queue, [queue.recorder], verify(queue)),
          onDone: (completed) => progress.update((done = before + completed)),
        }),
      );
    }
  }
  progress.done();

  const rows = queues.map((queue) => ({
    key: `waiting-${queue.size}`,
    label: `Polling: ${queue.size.toLocaleString('en-US')} waiting`,
    limit: 'select',
    timedOut: queue.ran < count,
    size: queue.size,
    ...queue.recorder.summary(),
  }));
  const invariants = queues.map((queue, index) => ({
    name: `${queue.size} waiting: ${count} polls, each 200 with position = ticket, ACTIVE iff ticket ≤ ${capacity}`,
    ok: queue.wrong === 0 && queue.ran === count && serverFailures(rows[index].statuses) === 0,
    detail: queue.wrong ? `${queue.wrong} wrong, first: ${queue.firstWrong}` : `${queue.ran} checked`,
  }));
  const smallest = rows[0];
  const largest = rows.at(-1);
  return {
    name,
    title: 'Position polling',
    rows,
    invariants,
    facts: {
      capacity,
      rounds: ROUNDS,
      throughputRatioLargestToSmallest: Math.round((largest.throughput / smallest.throughput) * 1000) / 1000,
      p50RatioLargestToSmallest: Math.round((largest.latencyMs.p50 / smallest.latencyMs.p50) * 1000) / 1000,
    },
  };
}
