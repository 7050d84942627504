import pg from 'pg';

/** One broken rule, with the rows that break it (at most EXAMPLES_PER_RULE of them). */
export interface InvariantViolation {
  rule: string;
  count: number;
  examples: Record<string, unknown>[];
}

export interface InvariantOptions {
  /**
   * The sweeper's interval. When given, a PENDING hold or an ACTIVE window whose expiry is
   * more than two intervals (or `expiryGraceMs`) in the past is a violation. Leave it out
   * when no sweeper runs against the database.
   */
  sweepIntervalMs?: number;
  /** How late the sweeper may be; defaults to two sweep intervals. */
  expiryGraceMs?: number;
}

interface Rule {
  rule: string;
  /** Selects the offending rows; empty means the rule holds. */
  sql: string;
  params?: unknown[];
}

const EXAMPLES_PER_RULE = 5;

/**
 * The state of a seat and its reservations, defined precisely:
 * - AVAILABLE: no PENDING or CONFIRMED reservation.
 * - HELD: exactly one PENDING reservation, none CONFIRMED, and the hold's end is the
 *   reservation's expiry. A hold past its expiry that the sweeper has not reached yet is
 *   still HELD with a PENDING reservation; only how late it may be is bounded (see
 *   `staleExpiryRules`).
 * - SOLD: exactly one CONFIRMED reservation, none PENDING, and it belongs to a COMPLETED payment.
 */
const SEAT_RULES: Rule[] = [
  {
    rule: 'a seat has at most one live (PENDING or CONFIRMED) reservation',
    sql: `SELECT seat_id, count(*)::int AS live FROM reservations
          WHERE status IN ('PENDING', 'CONFIRMED') GROUP BY seat_id HAVING count(*) > 1`,
  },
  {
    rule: 'an AVAILABLE seat has no live reservation',
    sql: `SELECT s.id AS seat_id, r.id AS reservation_id, r.status
          FROM seats s JOIN reservations r ON r.seat_id = s.id
          WHERE s.status = 'AVAILABLE' AND r.status IN ('PENDING', 'CONFIRMED')`,
  },
  {
    rule: 'a HELD seat has exactly one PENDING reservation, expiring when the hold ends, and none CONFIRMED',
    sql: `SELECT s.id AS seat_id, s.held_until,
                 count(r.id) FILTER (WHERE r.status = 'PENDING')::int AS pending,
                 count(r.id) FILTER (WHERE r.status = 'CONFIRMED')::int AS confirmed,
                 min(r.expires_at) FILTER (WHERE r.status = 'PENDING') AS pending_expires_at
          FROM seats s LEFT JOIN reservations r ON r.seat_id = s.id
          WHERE s.status = 'HELD'
          GROUP BY s.id
          HAVING count(r.id) FILTER (WHERE r.status = 'PENDING') <> 1
              OR count(r.id) FILTER (WHERE r.status = 'CONFIRMED') <> 0
              OR min(r.expires_at) FILTER (WHERE r.status = 'PENDING') IS DISTINCT FROM s.held_until`,
  },
  {
    rule: 'a SOLD seat has exactly one CONFIRMED reservation of a COMPLETED payment, and none PENDING',
    sql: `SELECT s.id AS seat_id,
                 count(r.id) FILTER (WHERE r.status = 'CONFIRMED')::int AS confirmed,
                 count(r.id) FILTER (WHERE r.status = 'CONFIRMED' AND p.status = 'COMPLETED')::int AS paid,
                 count(r.id) FILTER (WHERE r.status = 'PENDING')::int AS pending
          FROM seats s
          LEFT JOIN reservations r ON r.seat_id = s.id
          LEFT JOIN payments p ON p.id = r.payment_id
          WHERE s.status = 'SOLD'
          GROUP BY s.id
          HAVING count(r.id) FILTER (WHERE r.status = 'CONFIRMED') <> 1
              OR count(r.id) FILTER (WHERE r.status = 'CONFIRMED' AND p.status = 'COMPLETED') <> 1
              OR count(r.id) FILTER (WHERE r.status = 'PENDING') <> 0`,
  },
  {
    rule: "a reservation's concert is its seat's concert",
    sql: `SELECT r.id AS reservation_id FROM reservations r JOIN seats s ON s.id = r.seat_id
          WHERE s.concert_id <> r.concert_id`,
  },
  {
    // The sweeper or a second replica ending a hold that a newer hold replaced would show here.
    rule: 'no reservation is EXPIRED before its expiry',
    sql: `SELECT id AS reservation_id, expires_at, updated_at FROM reservations
          WHERE status = 'EXPIRED' AND updated_at < expires_at`,
  },
];

const POINT_RULES: Rule[] = [
  {
    rule: 'a wallet balance equals the sum of its ledger and is not negative',
    sql: `SELECT coalesce(w.user_id, l.user_id) AS user_id, w.balance, l.total
          FROM point_wallets w
          FULL JOIN (SELECT user_id, sum(amount)::bigint AS total FROM point_ledger GROUP BY user_id) l
            ON l.user_id = w.user_id
          WHERE w.balance IS DISTINCT FROM l.total AND NOT (w.balance = 0 AND l.total IS NULL)
             OR w.balance < 0`,
  },
  {
    rule: "a payment's PAYMENT ledger rows sum to minus its total, in its payer's ledger",
    sql: `SELECT p.id AS payment_id, p.total_amount, coalesce(sum(l.amount), 0)::bigint AS ledger_total,
                 count(l.id) FILTER (WHERE l.user_id <> p.user_id)::int AS foreign_rows
          FROM payments p LEFT JOIN point_ledger l ON l.payment_id = p.id AND l.type = 'PAYMENT'
          GROUP BY p.id
          HAVING coalesce(sum(l.amount), 0) <> -p.total_amount
              OR count(l.id) FILTER (WHERE l.user_id <> p.user_id) <> 0`,
  },
  {
    rule: 'every PAYMENT ledger row belongs to a payment',
    sql: `SELECT id AS ledger_id FROM point_ledger WHERE type = 'PAYMENT' AND payment_id IS NULL`,
  },
  {
    rule: "a payment's total is the sum of its reservations' prices, all CONFIRMED and the payer's own",
    sql: `SELECT p.id AS payment_id, p.total_amount, count(r.id)::int AS reservations,
                 coalesce(sum(r.price), 0)::bigint AS reserved_total
          FROM payments p LEFT JOIN reservations r ON r.payment_id = p.id
          GROUP BY p.id
          HAVING count(r.id) = 0
              OR coalesce(sum(r.price), 0) <> p.total_amount
              OR bool_or(r.status <> 'CONFIRMED' OR r.user_id <> p.user_id)`,
  },
];

const QUEUE_RULES: Rule[] = [
  {
    // The tickets reserved for a pre-queue at its opening count as given, held or not.
    rule: "a queue's counters match its entries",
    sql: `SELECT q.concert_id, q.active_count, q.activated_count, q.last_ticket,
                 count(e.id) FILTER (WHERE e.status = 'ACTIVE')::int AS active,
                 count(e.id) FILTER (WHERE e.activated_at IS NOT NULL)::int AS activated,
                 coalesce(max(e.ticket), 0)::bigint AS max_ticket, c.draw_tickets
          FROM queues q JOIN concerts c ON c.id = q.concert_id
          LEFT JOIN queue_entries e ON e.concert_id = q.concert_id
          GROUP BY q.concert_id, c.draw_tickets
          HAVING q.active_count <> count(e.id) FILTER (WHERE e.status = 'ACTIVE')
              OR q.activated_count <> count(e.id) FILTER (WHERE e.activated_at IS NOT NULL)
              OR q.last_ticket <> greatest(coalesce(max(e.ticket), 0), coalesce(c.draw_tickets, 0))`,
  },
  {
    rule: 'the departure buckets and stripes hold exactly the entries that ended while waiting',
    sql: `WITH departed AS (
            -- Entries ended in the pre-queue had no ticket yet: nothing to count.
            SELECT concert_id, ticket FROM queue_entries
            WHERE activated_at IS NULL AND status NOT IN ('PRE_QUEUE', 'WAITING', 'ACTIVE') AND ticket IS NOT NULL
            UNION ALL
            -- A drawn concert's reserved tickets nobody held (entrants who left before the draw).
            SELECT c.id, t FROM concerts c, generate_series(c.draw_entrants + 1::bigint, c.draw_tickets) AS t
            WHERE c.drawn_at IS NOT NULL
          ), in_buckets AS (
            SELECT b.concert_id, b.bucket * 64 + bit AS ticket
            FROM queue_departure_buckets b, generate_series(0, 63) AS bit
            WHERE (b.mask >> bit) & 1 = 1
          ), striped AS (
            SELECT concert_id, sum(departed)::bigint AS departed FROM queue_departure_stripes GROUP BY concert_id
          ), counted AS (
            SELECT concert_id, count(*)::bigint AS departed FROM departed GROUP BY concert_id
          )
          SELECT 'ticket not in a bucket' AS problem, concert_id, ticket, NULL::bigint AS striped FROM (TABLE departed EXCEPT TABLE in_buckets) a
          UNION ALL
          SELECT 'bucket bit without a departure', concert_id, ticket, NULL FROM (TABLE in_buckets EXCEPT TABLE departed) b
          UNION ALL
          SELECT 'stripes disagree with the count', coalesce(s.concert_id, c.concert_id), c.departed, s.departed
          FROM striped s FULL JOIN counted c ON c.concert_id = s.concert_id
          WHERE s.departed IS DISTINCT FROM c.departed`,
  },
  {
    rule: 'no concert has more ACTIVE entries than its capacity',
    sql: `SELECT c.id AS concert_id, c.queue_capacity, count(e.id)::int AS active
          FROM concerts c JOIN queue_entries e ON e.concert_id = c.id AND e.status = 'ACTIVE'
          GROUP BY c.id HAVING count(e.id) > c.queue_capacity`,
  },
  {
    // Closing releases every unpaid hold and ends every queue place in its own transaction.
    rule: 'a concert whose sales are CLOSED has no live queue entry and no unpaid hold',
    sql: `SELECT c.id AS concert_id FROM concerts c
          WHERE c.sales_state = 'CLOSED'
            AND (EXISTS (SELECT 1 FROM queue_entries e WHERE e.concert_id = c.id AND e.status IN ('PRE_QUEUE', 'WAITING', 'ACTIVE'))
                 OR EXISTS (SELECT 1 FROM reservations r WHERE r.concert_id = c.id AND r.status = 'PENDING'))`,
  },
  {
    // The draw tickets the whole pre-queue at once; nobody gets a ticket before the opening,
    // and between the opening and the draw only tickets after the reserved ones.
    rule: 'a drawn concert has no pre-queued entry, and an undrawn one no ticket before the drawn ones',
    sql: `SELECT c.id AS concert_id, c.sales_opened_at, c.drawn_at FROM concerts c
          WHERE (c.drawn_at IS NOT NULL
                 AND EXISTS (SELECT 1 FROM queue_entries e WHERE e.concert_id = c.id AND e.status = 'PRE_QUEUE'))
             OR (c.sales_open_at IS NOT NULL AND c.drawn_at IS NULL
                 AND EXISTS (SELECT 1 FROM queue_entries e
                             WHERE e.concert_id = c.id AND e.ticket <= coalesce(c.draw_tickets, 0)))`,
  },
  {
    rule: 'no queue window is EXPIRED before its expiry',
    sql: `SELECT id AS entry_id, expires_at, ended_at FROM queue_entries
          WHERE status = 'EXPIRED' AND (expires_at IS NULL OR ended_at < expires_at)`,
  },
];

function staleExpiryRules(graceMs: number): Rule[] {
  return [
    {
      rule: `no PENDING hold outlives its expiry by more than ${graceMs} ms`,
      sql: `SELECT id AS reservation_id, expires_at, (extract(epoch FROM now() - expires_at) * 1000)::int AS late_ms
            FROM reservations
            WHERE status = 'PENDING' AND expires_at < now() - make_interval(secs => $1::float8 / 1000)`,
      params: [graceMs],
    },
    {
      rule: `no ACTIVE queue window outlives its expiry by more than ${graceMs} ms`,
      sql: `SELECT id AS entry_id, expires_at, (extract(epoch FROM now() - expires_at) * 1000)::int AS late_ms
            FROM queue_entries
            WHERE status = 'ACTIVE' AND expires_at < now() - make_interval(secs => $1::float8 / 1000)`,
      params: [graceMs],
    },
  ];
}

/**
 * Checks the invariants of the issue directly in the database, all in one REPEATABLE READ
 * snapshot, so it can run while the app is serving and still see a consistent state.
 * Returns the violations; an empty list means every rule holds.
 */
export async function checkInvariants(
  db: pg.Pool | pg.Client,
  options: InvariantOptions = {},
): Promise<InvariantViolation[]> {
  const rules = [...SEAT_RULES, ...POINT_RULES, ...QUEUE_RULES];
  if (options.sweepIntervalMs !== undefined) {
    rules.push(...staleExpiryRules(options.expiryGraceMs ?? 2 * options.sweepIntervalMs));
  }
  const pooled = db instanceof pg.Pool ? await db.connect() : undefined;
  const client = pooled ?? (db as pg.Client);
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const violations: InvariantViolation[] = [];
    for (const { rule, sql, params } of rules) {
      const { rows } = await client.query<Record<string, unknown>>(sql, params);
      if (rows.length)
        violations.push({ rule, count: rows.length, examples: rows.slice(0, EXAMPLES_PER_RULE) });
    }
    await client.query('COMMIT');
    return violations;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    pooled?.release();
  }
}

export interface InvariantSample {
  /** How many times the invariants were checked. */
  samples: number;
  /** Every distinct rule broken in any sample, with the first rows seen. */
  violations: InvariantViolation[];
  /** The most ACTIVE entries seen at once, per concert, next to its capacity. */
  maxActive: Map<string, { active: number; capacity: number }>;
  /** The longest a PENDING hold or an ACTIVE window was seen past its expiry, not yet swept. */
  maxLateMs: { holds: number; windows: number };
}

/**
 * Checks the invariants every `intervalMs` while a workload runs, and records the most
 * ACTIVE windows each concert had at once and how far behind the sweeper fell.
 * `stop()` ends the sampling and returns the result.
 */
export function startInvariantSampler(
  db: pg.Pool,
  options: InvariantOptions & { intervalMs?: number } = {},
): { stop(): Promise<InvariantSample> } {
  const result: InvariantSample = {
    samples: 0,
    violations: [],
    maxActive: new Map(),
    maxLateMs: { holds: 0, windows: 0 },
  };
  const seen = new Set<string>();
  let running = true;
  // A failed check (say, the database went away) ends the sampling and is thrown by stop().
  const loop = (async () => {
    while (running) {
      const [violations, active, late] = await Promise.all([
        checkInvariants(db, options),
        db.query<{ concert_id: string; capacity: number; active: number }>(
          `SELECT c.id AS concert_id, c.queue_capacity AS capacity,
                  count(e.id) FILTER (WHERE e.status = 'ACTIVE')::int AS active
           FROM concerts c LEFT JOIN queue_entries e ON e.concert_id = c.id GROUP BY c.id`,
        ),
        db.query<{ holds: number | null; windows: number | null }>(
          `SELECT (SELECT extract(epoch FROM now() - min(expires_at)) * 1000 FROM reservations
                   WHERE status = 'PENDING' AND expires_at < now())::float8 AS holds,
                  (SELECT extract(epoch FROM now() - min(expires_at)) * 1000 FROM queue_entries
                   WHERE status = 'ACTIVE' AND expires_at < now())::float8 AS windows`,
        ),
      ]);
      result.samples++;
      for (const violation of violations) {
        if (seen.has(violation.rule)) continue;
        seen.add(violation.rule);
        result.violations.push(violation);
      }
      for (const row of active.rows) {
        const max = result.maxActive.get(row.concert_id);
        if (!max || row.active > max.active)
          result.maxActive.set(row.concert_id, { active: row.active, capacity: row.capacity });
      }
      result.maxLateMs.holds = Math.max(result.maxLateMs.holds, late.rows[0]?.holds ?? 0);
      result.maxLateMs.windows = Math.max(result.maxLateMs.windows, late.rows[0]?.windows ?? 0);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
    }
  })();
  loop.catch(() => undefined); // observed by stop(); this only keeps it from counting as unhandled
  return {
    async stop() {
      running = false;
      await loop;
      return result;
    },
  };
}
