// `node bench/function-cpu.mjs [git ref]` (after `npm run build`): the database CPU per call of
// queue_window_open's claim (an admitted user's first gated request), hold_seats (a hold, and a
// hold refused because a seat is taken), pay_reservations, and per entry ended of the admit
// after payments (end_queue_entries), for a git ref (default main) and the working tree side by
// side on one fresh server, each in a database of its own migrated by its own migrations (so an
// index or a table setting is compared too), in alternating rounds: on a shared machine,
// compare the two in the same run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { measureCpu } from './lib/cpu.mjs';
import { startFreshDatabase } from './lib/database.mjs';
import { distModule } from './lib/dist.mjs';
import { createUsers, fillQueue, giveWallets } from './lib/fixtures.mjs';

/** The functions a claim, hold, payment or admit runs that each variant gets a copy of, under its own names. */
const FUNCTIONS = [
  'hold_seats',
  'pay_reservations',
  'lock_concert_sales',
  'queue_window_open',
  'end_queue_entries',
];
/** Payments between two admits, as the app coalesces them per concert in a rush. */
const PAYMENTS_PER_ADMIT = Number(process.env.PAYMENTS_PER_ADMIT ?? 20);
const BUYERS = Number(process.env.BUYERS ?? 500);
const SEATS = Number(process.env.SEATS ?? 30_000);
const ROUNDS = Number(process.env.ROUNDS ?? 6);
const POOL_SIZE = 10;
const ref = process.argv[2] ?? 'main';
const variants = [
  {
    label: ref,
    suffix: '_ref',
    read: (file) => execFileSync('git', ['show', `${ref}:${file}`], { encoding: 'utf8' }),
    migrations: () => {
      const dir = mkdtempSync(join(tmpdir(), 'sail-function-cpu-'));
      execFileSync('sh', ['-c', `git archive ${ref} prisma/migrations | tar -x -C ${dir}`]);
      return { dir: join(dir, 'prisma', 'migrations'), cleanUp: () => rmSync(dir, { recursive: true }) };
    },
  },
  {
    label: 'working tree',
    suffix: '_tree',
    read: (file) => readFileSync(file, 'utf8'),
    migrations: () => ({ dir: undefined, cleanUp: () => {} }),
  },
];

async function installVariant(db, { read, suffix }) {
  for (const name of FUNCTIONS) {
    let sql = read(`prisma/functions/${name}.sql`);
    for (const other of FUNCTIONS) sql = sql.replace(new RegExp(`\\b${other}\\b`, 'g'), other + suffix);
    await db.query(sql);
  }
}

/** A live system's history, so that no table is as small as a fresh database's: sold seats, their payments. */
async function insertHistory(db, userIds) {
  const {
    rows: [concert],
  } = await db.query(
    `INSERT INTO concerts (name, venue, starts_at, sales_state, queue_capacity, queue_window_seconds)
     VALUES ('Bench history', 'Bench Arena', now() + interval '30 days', 'ON_SALE', 1, 3600) RETURNING id`,
  );
  await db.query(
    `WITH sold AS (
       INSERT INTO seats (concert_id, number, section, position, price, status)
       SELECT $1, 'H' || n, 'H', n, 100, 'SOLD' FROM generate_series(1, 40000) AS n RETURNING id, position),
     paid AS (
       INSERT INTO payments (user_id, total_amount)
       SELECT ($2::uuid[])[1 + n % cardinality($2::uuid[])], 200 FROM generate_series(1, 20000) AS n
       RETURNING id, user_id),
     numbered AS (SELECT id, user_id, row_number() OVER () AS n FROM paid)
     INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at, status, payment_id)
     SELECT numbered.user_id, $1, sold.id, 100, now(), 'CONFIRMED', numbered.id
     FROM sold JOIN numbered ON numbered.n = (sold.position + 1) / 2`,
    [concert.id, userIds],
  );
}

/** A concert on sale with SEATS seats (in random order) and its buyers, every one ACTIVE. */
async function insertShop(db, name, userIds) {
  const {
    rows: [concert],
  } = await db.query(
    `INSERT INTO concerts (name, venue, starts_at, sales_state, queue_capacity, queue_window_seconds)
     VALUES ($1, 'Bench Arena', now() + interval '30 days', 'ON_SALE', $2, 3600) RETURNING id`,
    [name, userIds.length],
  );
  await db.query('INSERT INTO queues (concert_id) VALUES ($1)', [concert.id]);
  const { rows } = await db.query(
    `INSERT INTO seats (concert_id, number, section, position, price)
     SELECT $1, 'S' || n, 'S' || ((n - 1) / 100), n, 10000 FROM generate_series(1, $2::int) AS n
     RETURNING id`,
    [concert.id, SEATS],
  );
  await fillQueue(db, { concertId: concert.id, userIds, capacity: userIds.length, windowSeconds: 3_600 });
  const seatIds = rows.map((row) => row.id).sort(() => Math.random() - 0.5);
  return { concertId: concert.id, userIds, seatIds };
}

/** Runs `call` for every item through `POOL_SIZE` connections; the database's CPU µs per item. */
async function cpuPerCall(db, items, call) {
  const cpu = await measureCpu(db, null);
  let next = 0;
  await Promise.all(
    Array.from({ length: POOL_SIZE }, async () => {
      while (next < items.length) {
        const i = next++;
        await call(items[i], i);
      }
    }),
  );
  return Math.round((cpu.stop().databaseCpuSeconds * 1e6) / items.length);
}

/** As the app calls them: a named statement, prepared once per connection. */
async function expectOutcome(db, sql, values, outcome) {
  const { rows } = await db.query({ name: createHash('sha1').update(sql).digest('hex'), text: sql, values });
  if (rows[0]?.outcome !== outcome) throw new Error(`expected ${outcome}, got ${rows[0]?.outcome}`);
  return rows;
}

/**
 * One round of one variant: every buyer claims the admitted place, holds 2 seats, tries 2 taken
 * ones, then pays, PAYMENTS_PER_ADMIT at a time, each batch followed by the admit that ends the
 * paid windows (CPU per entry ended).
 */
async function round(db, { suffix }, { concertId, userIds, seatIds }) {
  const claim = `SELECT queue_window_open${suffix}($1::uuid, $2::uuid) AS open`;
  const claimed = await cpuPerCall(db, userIds, async (userId) => {
    const { rows } = await db.query({ name: `claim${suffix}`, text: claim, values: [concertId, userId] });
    if (rows[0]?.open !== true) throw new Error('expected an open window');
  });
  const hold = `SELECT * FROM hold_seats${suffix}($1::uuid, $2::uuid, $3::uuid[], 4, 300)`;
  const holdIds = [];
  const held = await cpuPerCall(db, userIds, async (userId, i) => {
    const rows = await expectOutcome(db, hold, [userId, concertId, seatIds.slice(2 * i, 2 * i + 2)], 'HELD');
    holdIds[i] = rows.map((row) => row.hold_id);
  });
  const refused = await cpuPerCall(db, userIds, (userId, i) => {
    const taken = [seatIds[2 * ((i + 1) % userIds.length)], seatIds[2 * userIds.length + i]];
    return expectOutcome(db, hold, [userId, concertId, taken], 'SEAT_ALREADY_RESERVED');
  });
  const pay = `SELECT * FROM pay_reservations${suffix}($1::uuid, $2::uuid[])`;
  const admit = `SELECT * FROM end_queue_entries${suffix}($1::uuid, NULL, 'EXPIRED', false)`;
  let paidMicros = 0;
  let admitMicros = 0;
  for (let first = 0; first < userIds.length; first += PAYMENTS_PER_ADMIT) {
    const batch = userIds.slice(first, first + PAYMENTS_PER_ADMIT);
    paidMicros +=
      batch.length *
      (await cpuPerCall(db, batch, (userId, i) =>
        expectOutcome(db, pay, [userId, holdIds[first + i]], 'PAID'),
      ));
    admitMicros += await cpuPerCall(db, [null], async () => {
      const { rows } = await db.query({ name: `admit${suffix}`, text: admit, values: [concertId] });
      if (rows[0]?.completed !== batch.length)
        throw new Error(`expected ${batch.length} ended, got ${rows[0]?.completed}`);
    });
  }
  const paid = Math.round(paidMicros / userIds.length);
  const admitted = Math.round(admitMicros / userIds.length);
  return { claimed, held, refused, paid, admitted };
}

const server = await startFreshDatabase(process.env.BENCH_DATABASE_URL);
const pools = [];
try {
  const { migrate } = await distModule('database/migrator.js');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  const shops = [];
  for (const [v, variant] of variants.entries()) {
    const name = `function_cpu${variant.suffix}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(server.url);
    url.pathname = `/${name}`;
    const migrations = variant.migrations();
    try {
      await migrate(url.toString(), migrations.dir);
    } finally {
      migrations.cleanUp();
    }
    const db = new pg.Pool({ connectionString: url.toString(), max: POOL_SIZE });
    pools.push(db);
    // The pool's idle connections end with the database at the end.
    db.on('error', () => {});
    await installVariant(db, variant);
    const users = await createUsers(db, BUYERS * ROUNDS);
    await giveWallets(db, users, 10_000_000);
    await insertHistory(db, users);
    for (let r = 0; r < ROUNDS; r++) {
      const shop = await insertShop(db, `Bench ${r} ${v}`, users.slice(r * BUYERS, (r + 1) * BUYERS));
      shops.push({ r, db, variant, shop });
    }
    await db.query('VACUUM (ANALYZE)');
  }
  await admin.end();
  await pools[0].query('CHECKPOINT');
  shops.sort((a, b) => a.r - b.r);
  const results = new Map(variants.map((variant) => [variant, []]));
  for (const { db, variant, shop } of shops) results.get(variant).push(await round(db, variant, shop));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`Database CPU µs per call: ${BUYERS} calls a round through ${POOL_SIZE} connections`);
  console.log(`(median of ${ROUNDS} rounds, all rounds in brackets); load average ${load}`);
  console.log(`(admit: µs per entry ended, one end_queue_entries per ${PAYMENTS_PER_ADMIT} payments)`);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [variant, rounds] of results) {
    const column = (key) => `${median(rounds.map((r) => r[key]))} [${rounds.map((r) => r[key]).join(' ')}]`;
    console.log(variant.label);
    for (const [key, label] of [
      ['claimed', 'claim'],
      ['held', 'hold'],
      ['refused', 'refused hold'],
      ['paid', 'payment'],
      ['admitted', 'admit'],
    ])
      console.log(`  ${label.padEnd(13)} ${column(key)}`);
  }
} finally {
  for (const db of pools) await db.end();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  for (const { suffix } of variants)
    await admin.query(`DROP DATABASE IF EXISTS function_cpu${suffix} WITH (FORCE)`);
  await admin.end();
  await server.stop();
}
