/**
 * Set-up straight in SQL, with the columns the migrations define (see
 * test/factories/concert.factory.ts): preparing 100,000 users through the API would
 * measure the set-up instead of the scenario.
 */

/** `count` users in a stable order; returns their ids in that order. */
export async function createUsers(db, count) {
  await db.query(
    `INSERT INTO users (email, password_hash)
     SELECT format('bench-%s@bench.invalid', lpad(n::text, 7, '0')), 'bench-no-login'
     FROM generate_series(1, $1::int) AS n`,
    [count],
  );
  const { rows } = await db.query(`SELECT id FROM users WHERE email LIKE 'bench-%' ORDER BY email`);
  return rows.map((row) => row.id);
}

/** A concert on sale with its `queues` row and `prices.length` seats (seat i costs prices[i]). */
export async function createConcert(db, { name, capacity, windowSeconds, claimSeconds = 30, prices = [] }) {
  const { rows } = await db.query(
    `INSERT INTO concerts (name, venue, starts_at, sales_state, queue_capacity, queue_window_seconds, queue_claim_seconds)
     VALUES ($1, 'Bench Arena', now() + interval '30 days', 'ON_SALE', $2, $3, $4) RETURNING id`,
    [name, capacity, windowSeconds, claimSeconds],
  );
  const concertId = rows[0].id;
  await db.query('INSERT INTO queues (concert_id) VALUES ($1)', [concertId]);
  const seats = await db.query(
    `INSERT INTO seats (concert_id, number, section, position, price)
     SELECT $1, chr(65 + ((n - 1) / 100)::int) || (((n - 1) % 100) + 1), chr(65 + ((n - 1) / 100)::int), n, price
     FROM unnest($2::int[]) WITH ORDINALITY AS seat(price, n)
     ORDER BY n RETURNING id, price`,
    [concertId, prices],
  );
  return { id: concertId, seats: seats.rows };
}

/**
 * Queues `userIds` in order with dense tickets 1..N: the first `capacity` ACTIVE with an
 * open window, the rest WAITING. The `queues` counters are set to what the app would have
 * written (last_ticket = N, activated = active = capacity, nobody left), so that every
 * position the app computes is exactly the ticket. Statistics are refreshed, as autovacuum
 * would on a live system, so the planner sees the real table size.
 */
export async function fillQueue(db, { concertId, userIds, capacity, windowSeconds }) {
  const active = Math.min(capacity, userIds.length);
  await db.query(
    `INSERT INTO queue_entries (concert_id, user_id, ticket, status, activated_at, expires_at)
     SELECT $1, entrant.id, entrant.ticket,
            CASE WHEN entrant.ticket <= $3 THEN 'ACTIVE' ELSE 'WAITING' END::"QueueEntryStatus",
            CASE WHEN entrant.ticket <= $3 THEN now() END,
            CASE WHEN entrant.ticket <= $3 THEN now() + make_interval(secs => $4) END
     FROM unnest($2::uuid[]) WITH ORDINALITY AS entrant(id, ticket)`,
    [concertId, userIds, active, windowSeconds],
  );
  await db.query(
    `UPDATE queues SET last_ticket = $2::bigint, activated_count = $3::int, active_count = $3::int
     WHERE concert_id = $1`,
    [concertId, userIds.length, active],
  );
  await db.query('ANALYZE queue_entries');
}

/** A wallet with `amount` points per user, with the CHARGE ledger rows that explain it. */
export async function giveWallets(db, userIds, amount) {
  await db.query(
    `INSERT INTO point_wallets (user_id, balance) SELECT id, $2::int FROM unnest($1::uuid[]) AS u(id)`,
    [userIds, amount],
  );
  await db.query(
    `INSERT INTO point_ledger (user_id, type, amount, balance_after)
     SELECT id, 'CHARGE', $2::int, $2::int FROM unnest($1::uuid[]) AS u(id)`,
    [userIds, amount],
  );
}

/**
 * Samples the number of ACTIVE entries of a concert every `intervalMs` while load runs;
 * stop() returns the largest count seen. A sample sees one committed snapshot, so it can
 * catch a moment with too many active users that the final state would hide.
 */
export function watchActiveCount(db, concertId, intervalMs = 50) {
  let max = 0;
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await db.query(
        `SELECT count(*)::int AS active FROM queue_entries WHERE concert_id = $1 AND status = 'ACTIVE'`,
        [concertId],
      );
      max = Math.max(max, rows[0].active);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { max, samples };
    },
  };
}
