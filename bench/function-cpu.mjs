// `node bench/function-cpu.mjs [git ref]` (after `npm run build`): the database CPU per call of
// hold_seats (a hold, and a hold refused because a seat is taken) and of pay_reservations, for
// the functions of a git ref (default main) and of the working tree side by side in one fresh
// database, in alternating rounds: on a shared machine, compare the two in the same run.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { measureCpu } from './lib/cpu.mjs';
import { startFreshDatabase } from './lib/database.mjs';
import { distModule } from './lib/dist.mjs';
import { createUsers, fillQueue, giveWallets } from './lib/fixtures.mjs';

/** The functions a hold or a payment runs that each variant gets a copy of, under its own names. */
const FUNCTIONS = ['hold_seats', 'pay_reservations', 'lock_concert_sales', 'queue_window_open'];
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
  },
  { label: 'working tree', suffix: '_tree', read: (file) => readFileSync(file, 'utf8') },
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

/** One round of one variant: every buyer holds 2 seats, tries 2 taken ones, then pays. */
async function round(db, { suffix }, { concertId, userIds, seatIds }) {
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
  const paid = await cpuPerCall(db, userIds, (userId, i) =>
    expectOutcome(
      db,
      `SELECT * FROM pay_reservations${suffix}($1::uuid, $2::uuid[])`,
      [userId, holdIds[i]],
      'PAID',
    ),
  );
  return { held, refused, paid };
}

const database = await startFreshDatabase(process.env.BENCH_DATABASE_URL);
try {
  const { migrate } = await distModule('database/migrator.js');
  await migrate(database.url);
  const db = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
  // The pool's idle connections end with the database at the end.
  db.on('error', () => {});
  for (const variant of variants) await installVariant(db, variant);
  const users = await createUsers(db, BUYERS * variants.length * ROUNDS);
  await giveWallets(db, users, 10_000_000);
  await insertHistory(db, users);
  const shops = [];
  for (let r = 0; r < ROUNDS; r++)
    for (const [v, variant] of variants.entries()) {
      const first = (r * variants.length + v) * BUYERS;
      shops.push({
        variant,
        shop: await insertShop(db, `Bench ${r} ${v}`, users.slice(first, first + BUYERS)),
      });
    }
  await db.query('VACUUM (ANALYZE)');
  await db.query('CHECKPOINT');
  const results = new Map(variants.map((variant) => [variant, []]));
  for (const { variant, shop } of shops) results.get(variant).push(await round(db, variant, shop));
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`Database CPU µs per call: ${BUYERS} calls a round through ${POOL_SIZE} connections`);
  console.log(`(median of ${ROUNDS} rounds, all rounds in brackets); load average ${load}`);
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [variant, rounds] of results) {
    const column = (key) => `${median(rounds.map((r) => r[key]))} [${rounds.map((r) => r[key]).join(' ')}]`;
    console.log(
      `${variant.label.padEnd(14)} hold ${column('held')}  refused hold ${column('refused')}  payment ${column('paid')}`,
    );
  }
  await db.end();
} finally {
  await database.stop();
}
