import { Injectable } from '@nestjs/common';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../prisma/transaction-runner.js';

export type LiveStatus = 'WAITING' | 'ACTIVE';

/** What a position is computed from; see queue-position.ts. */
export interface LiveEntryRow {
  concertId: string;
  status: LiveStatus;
  ticket: number;
  expiresAt: Date | null;
  windowOpen: boolean;
  activeCount: number;
  activatedCount: number;
  /** ACTIVE: active entries with a lower ticket. WAITING: entries that left while waiting with a lower ticket. */
  holesAhead: number;
  capacity: number;
  windowSeconds: number;
}

/** A user's live entry (ended as LEFT), or every window of the concert that lapsed (EXPIRED). */
export type EntriesToEnd = { userId: string; status: 'LEFT' } | { lapsedWindows: true };

interface RawLiveEntry {
  concertId: string;
  status: LiveStatus;
  ticket: bigint;
  expiresAt: Date | null;
  windowOpen: boolean;
  activeCount: number;
  activatedCount: bigint;
  holesAhead: bigint;
  capacity: number;
  windowSeconds: number;
}

/** The columns of LiveEntryRow for queue entries `e`; callers add the WHERE clause. */
const SELECT_LIVE_ENTRY = Prisma.sql`
  SELECT e.user_id AS "userId", e.concert_id AS "concertId", e.status::text AS status, e.ticket, e.expires_at AS "expiresAt",
         (e.status = 'ACTIVE' AND e.expires_at > clock_timestamp()) AS "windowOpen",
         q.active_count AS "activeCount", q.activated_count AS "activatedCount",
         CASE WHEN e.status = 'ACTIVE'
           THEN (SELECT count(*) FROM queue_entries a
                 WHERE a.concert_id = e.concert_id AND a.status = 'ACTIVE' AND a.ticket < e.ticket)
           ELSE (SELECT count(*) FROM queue_entries l
                 WHERE l.concert_id = e.concert_id AND l.status = 'LEFT' AND l.activated_at IS NULL AND l.ticket < e.ticket)
         END AS "holesAhead",
         c.queue_capacity AS capacity, c.queue_window_seconds AS "windowSeconds"
  FROM queue_entries e
  JOIN queues q ON q.concert_id = e.concert_id
  JOIN concerts c ON c.id = e.concert_id`;

const toLiveEntry = (row: RawLiveEntry): LiveEntryRow => ({
  ...row,
  ticket: Number(row.ticket),
  activatedCount: Number(row.activatedCount),
  holesAhead: Number(row.holesAhead),
});

/**
 * All SQL of the waiting queue. Lock order everywhere: the concert's `queues` row,
 * then its `queue_entries`. Expiry is always judged by the database clock.
 */
@Injectable()
export class QueueRepository {
  /**
   * These users' live entries in one concert with everything their positions need, in one
   * indexed read: no COUNT over the waiting users, so a poll costs the same for 10 or 100,000.
   */
  async findLiveEntries(tx: Tx, concertId: string, userIds: string[]): Promise<Map<string, LiveEntryRow>> {
    const rows = await tx.$queryRaw<(RawLiveEntry & { userId: string })[]>`
      ${SELECT_LIVE_ENTRY}
      WHERE e.concert_id = ${concertId}::uuid AND e.user_id = ANY(${userIds}::uuid[]) AND e.status IN ('WAITING', 'ACTIVE')`;
    return new Map(rows.map(({ userId, ...entry }) => [userId, toLiveEntry(entry)]));
  }

  /** Live entries of one user across concerts, for the concert list. */
  async findLiveEntriesOfUser(tx: Tx, userId: string, concertIds: string[]): Promise<LiveEntryRow[]> {
    if (!concertIds.length) return [];
    const rows = await tx.$queryRaw<RawLiveEntry[]>`
      ${SELECT_LIVE_ENTRY}
      WHERE e.user_id = ${userId}::uuid AND e.concert_id = ANY(${concertIds}::uuid[]) AND e.status IN ('WAITING', 'ACTIVE')`;
    return rows.map(toLiveEntry);
  }

  /**
   * Enters a batch of users into one concert's queue in one statement. Users already in
   * the queue get their live entry back (created: false); the others take the next tickets
   * in the order given (created: true), the first of them admitted at once when places are
   * free and nobody is waiting. The queue row is locked once for the whole batch, for the
   * statement and its commit. Users missing from the result were not entered: the concert
   * is not on sale or does not exist. Returns 'ALREADY_IN_QUEUE' when a concurrent statement
   * entered one of these users first: the partial unique index rolls this statement back
   * whole, so no ticket is lost, and the caller retries.
   */
  async enterMany(
    tx: Tx,
    concertId: string,
    userIds: string[],
  ): Promise<Map<string, { created: boolean; entry: LiveEntryRow }> | 'ALREADY_IN_QUEUE'> {
    try {
      const rows = await tx.$queryRaw<(RawLiveEntry & { created: boolean; userId: string })[]>`
        -- Asynchronous commit for this statement only: the queue row's lock is released
        -- without waiting for the WAL flush. A database crash can lose the last fraction of a
        -- second of entries, never a seat or a point, and any later synchronous commit (a
        -- hold, a payment) flushes the entries before it. Joined below so that it runs.
        WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
        existing AS MATERIALIZED (
          ${SELECT_LIVE_ENTRY}
          WHERE e.concert_id = ${concertId}::uuid AND e.user_id = ANY(${userIds}::uuid[])
            AND e.status IN ('WAITING', 'ACTIVE')
        ),
        newcomers AS MATERIALIZED (
          SELECT r.user_id, row_number() OVER (ORDER BY r.ord) AS k
          FROM unnest(${userIds}::uuid[]) WITH ORDINALITY AS r(user_id, ord)
          WHERE r.user_id NOT IN (SELECT "userId" FROM existing)
        ),
        batch AS MATERIALIZED (SELECT count(*)::int AS n FROM newcomers),
        -- Sales state (issue 20): the concert's sales lock (shared), taken before the queue row,
        -- and the state read after it by the database clock.
        sales AS MATERIALIZED (SELECT lock_concert_sales(${concertId}::uuid) AS state),
        ticket AS (
          UPDATE queues q
          -- SET sees the row as locked (re-read if a concurrent batch committed first).
          -- Places are given at once only when nobody is waiting already.
          SET last_ticket = q.last_ticket + b.n,
              active_count = q.active_count + LEAST(b.n, CASE WHEN q.last_ticket = q.activated_count + q.left_waiting_count
                                                          THEN GREATEST(c.queue_capacity - q.active_count, 0) ELSE 0 END),
              activated_count = q.activated_count + LEAST(b.n, CASE WHEN q.last_ticket = q.activated_count + q.left_waiting_count
                                                                THEN GREATEST(c.queue_capacity - q.active_count, 0) ELSE 0 END),
              updated_at = clock_timestamp()
          FROM concerts c, batch b, async_commit, sales
          WHERE q.concert_id = ${concertId}::uuid AND c.id = q.concert_id AND sales.state = 'ON_SALE' AND b.n > 0
          -- From the new values: those still waiting of this batch are n - admitted.
          RETURNING q.last_ticket - b.n AS before_ticket, b.n,
                    GREATEST(0, b.n - (q.last_ticket - q.activated_count - q.left_waiting_count)) AS admitted,
                    q.active_count, q.activated_count, q.left_waiting_count,
                    c.queue_capacity, c.queue_window_seconds
        ), entry AS (
          INSERT INTO queue_entries (concert_id, user_id, ticket, status, activated_at, expires_at)
          SELECT ${concertId}::uuid, nc.user_id, t.before_ticket + nc.k,
                 CASE WHEN nc.k <= t.admitted THEN 'ACTIVE' ELSE 'WAITING' END::"QueueEntryStatus",
                 CASE WHEN nc.k <= t.admitted THEN clock_timestamp() END,
                 CASE WHEN nc.k <= t.admitted THEN clock_timestamp() + make_interval(secs => t.queue_window_seconds) END
          FROM newcomers nc, ticket t
          RETURNING user_id, status, ticket, expires_at
        )
        SELECT false AS created, existing.* FROM existing
        UNION ALL
        SELECT true, e.user_id, ${concertId}::uuid, e.status::text, e.ticket, e.expires_at, (e.status = 'ACTIVE'),
               t.active_count, t.activated_count,
               -- New tickets are the last ones: every leaver is ahead of them, and an admitted
               -- one has the earlier active entries and the earlier admitted of its batch ahead.
               CASE WHEN e.status = 'ACTIVE' THEN t.active_count - t.admitted + (e.ticket - t.before_ticket - 1)
                    ELSE t.left_waiting_count END,
               t.queue_capacity, t.queue_window_seconds
        FROM entry e, ticket t`;
      return new Map(
        rows.map(({ created, userId, ...entry }) => [userId, { created, entry: toLiveEntry(entry) }]),
      );
    } catch (error) {
      if (classifyDatabaseError(error)?.code === 'CONFLICT') return 'ALREADY_IN_QUEUE';
      throw error;
    }
  }

  /** As of now by the database clock: CLOSED once its sales close time has passed. */
  async findSalesState(tx: Tx, concertId: string): Promise<string | null> {
    const rows = await tx.$queryRaw<{ salesState: string }[]>`
      SELECT sales_state_now(c)::text AS "salesState" FROM concerts c WHERE c.id = ${concertId}::uuid`;
    return rows[0]?.salesState ?? null;
  }

  /**
   * Ends entries and gives the places that frees (and any other free place) to the
   * longest-waiting users, moving the counters: one call of the end_queue_entries function
   * (see its migration), which locks the concert's queue row first. That lock is held until
   * the commit and every payment, leave and entry batch of the concert waits for it, so no
   * round trip to the app happens under it. Null when the concert has no queue. With
   * `lockWaitMs`, waits at most that long for the lock (lock_timeout for the rest of the
   * transaction; then SQLSTATE 55P03).
   */
  async endEntriesAndRefill(
    tx: Tx,
    concertId: string,
    ending: EntriesToEnd,
    options: { lockWaitMs?: number } = {},
  ): Promise<{ ended: number; admitted: number } | null> {
    if (options.lockWaitMs !== undefined) {
      await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${options.lockWaitMs}ms`}, true)`;
    }
    // The function ends lapsed windows when given no user.
    const [userId, status] = 'userId' in ending ? [ending.userId, ending.status] : [null, 'EXPIRED'];
    const rows = await tx.$queryRaw<{ ended: number; admitted: number }[]>`
      SELECT ended, admitted
      FROM end_queue_entries(${concertId}::uuid, ${userId}::uuid, ${status}::"QueueEntryStatus", false)`;
    return rows[0] ?? null;
  }

  /** Concerts with a lapsed window, or with a free place and someone waiting. */
  async findConcertsToSweep(tx: Tx, limit: number): Promise<string[]> {
    const rows = await tx.$queryRaw<{ concertId: string }[]>`
      SELECT DISTINCT concert_id::text AS "concertId" FROM queue_entries
      WHERE status = 'ACTIVE' AND expires_at <= clock_timestamp()
      UNION
      SELECT q.concert_id::text FROM queues q JOIN concerts c ON c.id = q.concert_id
      WHERE c.sales_state = 'ON_SALE' AND q.active_count < c.queue_capacity
        AND q.last_ticket > q.activated_count + q.left_waiting_count
      LIMIT ${limit}`;
    return rows.map((row) => row.concertId);
  }

  /** Windows that ended (expired, paid, left) over the last `seconds`: the measured outflow. */
  async countWindowsEndedSince(tx: Tx, concertId: string, seconds: number): Promise<number> {
    const rows = await tx.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) AS count FROM queue_entries
      WHERE concert_id = ${concertId}::uuid AND activated_at IS NOT NULL
        AND ended_at > clock_timestamp() - make_interval(secs => ${seconds})`;
    return Number(rows[0]?.count ?? 0);
  }
}
