import pg from 'pg';

const ROWS = ['A', 'B', 'C', 'D', 'E'] as const;
const SEATS_PER_ROW = 10;
const PRICE_BY_ROW: Record<(typeof ROWS)[number], number> = {
  A: 100_000,
  B: 80_000,
  C: 60_000,
  D: 50_000,
  E: 40_000,
};

const DEMO_CONCERTS = [
  { name: 'Summer Rock Fest', venue: 'Olympic Hall', daysAhead: 30 },
  { name: 'Autumn Jazz Night', venue: 'Blue Note Stage', daysAhead: 60 },
  { name: 'Winter Symphony', venue: 'Seoul Arts Center', daysAhead: 90 },
];

/**
 * Demo concerts with a 5 × 10 seat map priced by row. Idempotent: a concert whose name
 * already exists is left alone. Returns how many concerts it created.
 */
export async function seedDemoData(
  databaseUrl: string,
  queueDefaults: { capacity: number; windowSeconds: number; claimSeconds: number },
): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let created = 0;
  try {
    for (const concert of DEMO_CONCERTS) {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO concerts (name, venue, starts_at, queue_capacity, queue_window_seconds, queue_claim_seconds)
         SELECT $1, $2, date_trunc('hour', clock_timestamp()) + make_interval(days => $3) + interval '19 hours', $4, $5, $6
         WHERE NOT EXISTS (SELECT 1 FROM concerts WHERE name = $1)
         RETURNING id`,
        [
          concert.name,
          concert.venue,
          concert.daysAhead,
          queueDefaults.capacity,
          queueDefaults.windowSeconds,
          queueDefaults.claimSeconds,
        ],
      );
      if (rows[0]) {
        const concertId = rows[0].id;
        await client.query('INSERT INTO queues (concert_id) VALUES ($1)', [concertId]);
        await client.query(
          `INSERT INTO seats (concert_id, number, section, position, price)
           SELECT $1, r.row || s.n, r.row, (r.ord - 1) * $3 + s.n, r.price
           FROM unnest($2::text[], $4::int[]) WITH ORDINALITY AS r(row, price, ord)
           CROSS JOIN generate_series(1, $3) AS s(n)`,
          [concertId, ROWS, SEATS_PER_ROW, ROWS.map((row) => PRICE_BY_ROW[row])],
        );
        created++;
      }
      await client.query('COMMIT');
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return created;
}

export async function isDatabaseEmpty(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ empty: boolean }>(
      'SELECT NOT EXISTS (SELECT 1 FROM concerts) AS empty',
    );
    return rows[0]!.empty;
  } finally {
    await client.end();
  }
}
