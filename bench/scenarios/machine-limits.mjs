import { join } from 'node:path';
import process from 'node:process';
import { measureCpu } from '../lib/cpu.mjs';
import { ROOT } from '../lib/dist.mjs';
import { createConcert } from '../lib/fixtures.mjs';
import { LoadClient, Recorder, runClosedLoop } from '../lib/load.mjs';
import { freePort, startServer } from '../lib/processes.mjs';
import { progressBar } from '../lib/progress.mjs';

/** The ceilings every app figure is divided by; `key` is what a scenario row names as its limit. */
const LIMITS = [
  { key: 'json', label: 'Limit: bare Fastify, same JSON', path: () => '/json' },
  {
    key: 'select',
    label: 'Limit: + indexed 1-row SELECT',
    path: (ctx, i) => `/select?id=${ctx.userIds[i % ctx.userIds.length]}`,
  },
  { key: 'update', label: 'Limit: + 1-row UPDATE, commit', path: () => '/update' },
  {
    key: 'argon2',
    label: 'Limit: + argon2id verify',
    path: () => '/argon2',
    count: (sizes) => sizes.hashRequests,
    warmup: (sizes) => sizes.hashWarmup,
  },
];

export const name = 'limits';

/** CPU milliseconds per request of the server, the database and the load generator. */
export function cpuMsPer(cpu, requests) {
  const per = (seconds) => (requests ? Math.round(((seconds * 1000) / requests) * 100) / 100 : null);
  return {
    server: per(cpu.appCpuSeconds),
    database: per(cpu.databaseCpuSeconds),
    loadGenerator: per(cpu.loadGeneratorCpuSeconds),
  };
}

/** The limit server (bare Fastify, and the same plus SQL or a hash), started on its own database concert. */
export async function startLimitServer(ctx) {
  const concert = await createConcert(ctx.db, { name: 'Bench limits', capacity: 1, windowSeconds: 60 });
  return startServer({
    name: 'limit server',
    script: join(ROOT, 'bench', 'lib', 'limit-server.mjs'),
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: ctx.databaseUrl,
      DATABASE_POOL_SIZE: String(ctx.poolSize),
      LIMIT_QUEUE_CONCERT_ID: concert.id,
    },
    port: await freePort(),
  });
}

export async function run(ctx) {
  const server = await startLimitServer(ctx);
  const client = new LoadClient(server.origin, ctx.connections);
  const rows = [];
  let failures = 0;
  const unfinished = [];
  try {
    for (const limit of LIMITS) {
      const count = limit.count?.(ctx.sizes) ?? ctx.sizes.limitRequests;
      await runClosedLoop({
        count: limit.warmup?.(ctx.sizes) ?? ctx.sizes.warmup,
        concurrency: ctx.connections,
        deadline: ctx.deadline(),
        task: (i) => client.send({ path: limit.path(ctx, i) }),
      });
      const recorder = new Recorder();
      const progress = progressBar(limit.label, count);
      const cpu = await measureCpu(ctx.db, server.pid);
      const { timedOut } = await runClosedLoop({
        count,
        concurrency: ctx.connections,
        deadline: ctx.deadline(),
        task: (i) => client.send({ path: limit.path(ctx, i), recorders: [recorder] }),
        onDone: (done) => progress.update(done),
      });
      progress.done();
      const summary = recorder.summary();
      const cpuUsed = cpu.stop();
      failures += summary.requests - (summary.statuses[200] ?? 0);
      if (timedOut) unfinished.push(limit.label);
      rows.push({
        key: limit.key,
        label: limit.label,
        limit: null,
        timedOut,
        serverCpuUsPerRequest: cpuUsPerRequest(cpuUsed.appCpuSeconds, summary.requests),
        ...summary,
        cpu: cpuUsed,
        cpuMsPerRequest: cpuMsPer(cpuUsed, summary.requests),
      });
    }
  } finally {
    await client.close();
    await server.stop();
  }
  return {
    name,
    title: 'Limits of this machine',
    rows,
    invariants: [
      { name: 'every limit request answered 200', ok: failures === 0, detail: `${failures} other answers` },
      {
        name: 'every request of each limit ran within the time bound',
        ok: !unfinished.length,
        detail: unfinished.join(', ') || 'yes',
      },
    ],
    facts: {},
  };
}

/** Server CPU microseconds per request: unlike a rate, barely moved by what else the machine runs. */
export const cpuUsPerRequest = (seconds, requests) =>
  requests ? Math.round((seconds * 1e6) / requests) : null;
