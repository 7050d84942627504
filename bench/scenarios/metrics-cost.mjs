import { performance } from 'node:perf_hooks';
import { cpuSeconds } from '../lib/cpu.mjs';
import { createConcert, fillQueue } from '../lib/fixtures.mjs';
import { LoadClient, Recorder, runClosedLoop } from '../lib/load.mjs';
import { note, progressBar } from '../lib/progress.mjs';
import { randomInt, seededRandom } from '../lib/random.mjs';
import { serverFailures } from '../lib/stats.mjs';
import { cpuUsPerRequest } from './machine-limits.mjs';

export const name = 'metrics-cost';

/** Stretches per app and kind, taking turns, so the machine's drift falls on both apps alike. */
const ROUNDS = 8;
/** Before each measured stretch, an unmeasured one a quarter its length. */
const SETTLE_FRACTION = 4;

/**
 * What metrics cost per request: the app as measured (metrics off) and a second one on the same
 * database with METRICS_TOKEN set and /metrics scraped at Prometheus' interval (15 s, what
 * deploy/ ships), driven in alternating stretches with the same requests. A scrape's CPU counts
 * where it lands: in one of the metrics app's stretches it is charged to that stretch's
 * requests, elsewhere to none, so over a run each stretch bears its share of the scrapes'
 * cost in proportion to its length, as on a replica that serves all day. Two kinds: a waiting
 * user's steady poll (the cheapest request, answered before Nest) and an active user's seat
 * page (Nest, validation and one statement, what the seat rush sends most). Throughput and server CPU per request of each.
 */
export async function run(ctx) {
  const { metricsWaiting: waiting, metricsCapacity: capacity, metricsPolls, metricsSeatPages } = ctx.sizes;
  const concert = await createConcert(ctx.db, {
    name: 'Bench metrics cost',
    capacity,
    windowSeconds: 3_600,
    prices: Array.from({ length: 100 }, () => 1_000),
  });
  const userIds = ctx.userIds.slice(0, capacity + waiting);
  await fillQueue(ctx.db, { concertId: concert.id, userIds, capacity, windowSeconds: 3_600 });

  note('Starting a second app with metrics on…');
  const second = await ctx.startAppWithMetrics();
  const secondClient = new LoadClient(second.app.origin, ctx.connections);
  const apps = [
    { key: 'off', label: 'metrics off', client: ctx.app, pid: ctx.appPid },
    { key: 'on', label: 'metrics on', client: secondClient, pid: second.app.pid },
  ];
  const kinds = [
    {
      key: 'poll',
      label: 'steady poll (waiting)',
      // Ten times the seat pages: each stretch then lasts about as long, well above the 10 ms
      // resolution of the CPU figures.
      count: metricsPolls,
      path: (random) => {
        const index = randomInt(random, capacity, capacity + waiting - 1);
        return { path: `/concerts/${concert.id}/queue`, index, expect: (body) => body.status === 'WAITING' };
      },
    },
    {
      key: 'seats',
      label: 'seat page (active)',
      count: metricsSeatPages,
      path: (random) => {
        const index = randomInt(random, 0, capacity - 1);
        return {
          path: `/reservation/${concert.id}/seats?page=1&limit=100`,
          index,
          expect: (body) => Array.isArray(body.seats) && body.seats.length === 100,
        };
      },
    },
  ];
  const cells = apps.flatMap((app) =>
    kinds.map((kind) => ({
      app,
      kind,
      recorder: new Recorder(),
      cpuSeconds: 0,
      ran: 0,
      wrong: 0,
      stretches: [],
    })),
  );
  const send = (cell, random, recorders) => async () => {
    const { path, index, expect } = cell.kind.path(random);
    const { status, body } = await cell.app.client.send({ path, token: ctx.token(index), recorders });
    if (recorders.length) cell.ran += 1;
    if (status !== 200 || !expect(body)) cell.wrong += 1;
  };

  // Every user once on each app (the first poll reads the entry and claims an active place).
  for (const cell of cells) {
    const users = cell.kind.key === 'poll' ? waiting : capacity;
    await runClosedLoop({
      count: users,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: (i) =>
        cell.app.client.send({
          path: `/concerts/${concert.id}/queue`,
          token: ctx.token(cell.kind.key === 'poll' ? capacity + i : i),
        }),
    });
  }

  // The app as measured was warmed before every scenario, the second app was not: a round's worth
  // of each kind on each app first, unmeasured, so that both have compiled the same paths.
  for (const cell of cells)
    await runClosedLoop({
      count: Math.ceil(cell.kind.count / ROUNDS),
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: send(cell, seededRandom(1_000 + cells.indexOf(cell)), []),
    });

  const progress = progressBar(
    'Metrics off and on',
    cells.reduce((sum, cell) => sum + cell.kind.count, 0),
  );
  const deadline = ctx.deadline();
  const roundsStart = { at: Date.now(), scrapes: second.scrapes() };
  let done = 0;
  for (let round = 0; round < ROUNDS; round++) {
    // One kind after the other, its two apps back to back: off first in even rounds, on first in
    // odd ones. Each measured stretch follows an unmeasured one of its own app and kind, so that
    // neither app's stretch starts in the wake of the other kind (a seat page's garbage, the
    // database's work): run in one order, polls that followed seat pages cost a fifth more.
    for (const kind of kinds) {
      const pair = cells.filter((cell) => cell.kind === kind);
      for (const cell of round % 2 ? pair.reverse() : pair) {
        const random = seededRandom(round * 10 + cells.indexOf(cell));
        const count = Math.ceil(cell.kind.count / ROUNDS);
        await runClosedLoop({
          count: Math.ceil(count / SETTLE_FRACTION),
          concurrency: ctx.connections,
          deadline,
          task: send(cell, random, []),
        });
        const before = done;
        const cpuBefore = cpuSeconds(cell.app.pid);
        const ranBefore = cell.ran;
        const startedAt = performance.now();
        await cell.recorder.during(() =>
          runClosedLoop({
            count,
            concurrency: ctx.connections,
            deadline,
            task: send(cell, random, [cell.recorder]),
            onDone: (completed) => progress.update((done = before + completed)),
          }),
        );
        const stretchCpuSeconds = cpuSeconds(cell.app.pid) - cpuBefore;
        cell.cpuSeconds += stretchCpuSeconds;
        const ran = cell.ran - ranBefore;
        cell.stretches.push({
          cpuUsPerRequest: cpuUsPerRequest(stretchCpuSeconds, ran),
          throughput: (ran * 1000) / (performance.now() - startedAt),
        });
      }
    }
  }
  progress.done();
  const roundsSeconds = (Date.now() - roundsStart.at) / 1000;
  const scrapesDuringRounds = second.scrapes() - roundsStart.scrapes;
  // The first scrape is at the app's start: wait for its answer in a short (smoke) run.
  for (const until = Date.now() + 3_000; second.scrapes() === 0 && Date.now() < until;)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const scrapes = second.scrapes();
  await secondClient.close();
  await second.stop();

  const rows = cells.map((cell) => ({
    key: `${cell.kind.key}-${cell.app.key}`,
    label: second.control
      ? `Control, ${cell.app.key === 'on' ? '2nd' : '1st'} app: ${cell.kind.label}`
      : `Metrics ${cell.app.key}: ${cell.kind.label}`,
    limit: null,
    timedOut: cell.ran < cell.kind.count,
    serverCpuUsPerRequest: cpuUsPerRequest(cell.cpuSeconds, cell.ran),
    ...cell.recorder.summary(),
  }));
  const compare = Object.fromEntries(
    kinds.map((kind) => {
      const off = rows.find((row) => row.key === `${kind.key}-off`);
      const on = rows.find((row) => row.key === `${kind.key}-on`);
      const round3 = (value) => Math.round(value * 1000) / 1000;
      const offCell = cells.find((cell) => cell.kind === kind && cell.app.key === 'off');
      const onCell = cells.find((cell) => cell.kind === kind && cell.app.key === 'on');
      // Each round's stretches ran a few seconds apart: their ratios show how much the machine drifted.
      const byRound = (figure) =>
        onCell.stretches.map((stretch, round) => round3(stretch[figure] / offCell.stretches[round][figure]));
      return [
        kind.key,
        {
          label: kind.label,
          throughputOnToOff: round3(on.throughput / off.throughput),
          cpuOnToOff:
            on.serverCpuUsPerRequest && off.serverCpuUsPerRequest
              ? round3(on.serverCpuUsPerRequest / off.serverCpuUsPerRequest)
              : null,
          throughputOnToOffByRound: byRound('throughput'),
          cpuOnToOffByRound: byRound('cpuUsPerRequest'),
        },
      ];
    }),
  );
  return {
    name,
    title: 'Metrics off and on',
    rows,
    invariants: [
      {
        name: 'every request answered 200 with the expected body, on both apps',
        ok:
          cells.every((cell) => cell.wrong === 0 && cell.ran >= cell.kind.count) &&
          rows.every((row) => !serverFailures(row.statuses)),
        detail: cells
          .map((cell) => `${cell.app.key}/${cell.kind.key}: ${cell.ran} ran, ${cell.wrong} wrong`)
          .join('; '),
      },
      {
        name: '/metrics was scraped while the app with metrics ran',
        ok: second.control || scrapes > 0,
        detail: second.control
          ? 'control: metrics off on both apps'
          : `${scrapes} scrapes, every ${second.scrapeIntervalMs / 1000} s; ${scrapesDuringRounds} in the ${Math.round(roundsSeconds)} s of rounds`,
      },
    ],
    facts: {
      control: second.control,
      rounds: ROUNDS,
      waiting,
      capacity,
      scrapes,
      scrapeIntervalMs: second.scrapeIntervalMs,
      scrapesDuringRounds,
      roundsSeconds,
      compare,
    },
  };
}
