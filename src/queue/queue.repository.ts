import { Injectable } from '@nestjs/common';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { Prisma } from '../generated/prisma/client.js';
import type { Db, Tx } from '../prisma/transaction-runner.js';

export type LiveStatus = 'PRE_QUEUE' | 'WAITING' | 'ACTIVE';

/** A user's live entry; a waiting position needs the concert's snapshot (see queue-snapshots.ts). */
export interface LiveEntryRow {
  /** The entry's id: the draw orders pre-queued entries by it (see draw_pre_queue). */
  entryId: string;
  concertId: string;
  status: LiveStatus;
  /** Null while PRE_QUEUE: the draw gives it. */
  ticket: number | null;
  expiresAt: Date | null;
  /** An admitted place not claimed yet lapses then (and expiresAt is the same instant); null once claimed. */
  claimBy: Date | null;
  windowOpen: boolean;
  /**
   * Known in the statement: an ACTIVE entry's rank among the active ones, or a new entrant's
   * place (its ticket is the last, so every departure is ahead of it). Null for a waiting
   * entry read later: its position comes from the snapshot.
   */
  position: number | null;
  capacity: number;
  windowSeconds: number;
  /** The database clock when the row was read. */
  asOf: Date;
  /** The concert's opening; null when its sales opened at once. */
  salesOpenAt: Date | null;
}

export interface ConcertSales {
  salesState: string;
  /** As the operator set it: PAUSED stops the pre-queue too. */
  storedState: string;
  salesOpenAt: Date | null;
  preQueueOpensAt: Date | null;
}

/** What open_sales_for_draw answers; declared once here, kept equal to its source by function-outcomes.spec.ts. */
export const OPEN_SALES_FOR_DRAW_OUTCOMES = [
  'OPENED',
  'ALREADY_OPENED',
  'NOT_OPEN_YET',
  'NO_DRAW',
  'SALES_CLOSED',
  'CONCERT_NOT_FOUND',
] as const;
export type OpeningOutcome = (typeof OPEN_SALES_FOR_DRAW_OUTCOMES)[number];

export interface OpeningResult {
  outcome: OpeningOutcome;
  /** OPENED, ALREADY_OPENED: the tickets reserved for the pre-queue (1..tickets). */
  tickets: number | null;
}

/** What draw_pre_queue answers; declared once here, kept equal to its source by function-outcomes.spec.ts. */
export const DRAW_PRE_QUEUE_OUTCOMES = [
  'DRAWN',
  'ALREADY_DRAWN',
  'NOT_OPEN_YET',
  'NO_DRAW',
  'SALES_CLOSED',
  'CONCERT_NOT_FOUND',
] as const;
export type DrawOutcome = (typeof DRAW_PRE_QUEUE_OUTCOMES)[number];

export interface DrawResult {
  outcome: DrawOutcome;
  /** DRAWN, ALREADY_DRAWN: the entries drawn. */
  entrants: number | null;
  /** DRAWN: the users admitted at once. */
  admitted: number | null;
}

export interface DrawRow {
  salesOpenAt: Date | null;
  drawnAt: Date | null;
  /** sha256 of the seed, hex; null for a concert without an opening. */
  commitment: string | null;
  /** Hex; null until drawn. */
  seed: string | null;
  entrants: number;
  entryIds: string[];
}

/** A user's live entry (ended as LEFT), or every window of the concert that lapsed (EXPIRED, NO_SHOW). */
export type EntriesToEnd = { userId: string; status: 'LEFT' } | { lapsedWindows: true };

/** What one call of end_queue_entries did: entries ended (in all, and by reason) and users admitted. */
export interface EndedEntries {
  ended: number;
  admitted: number;
  expired: number;
  noShow: number;
  completed: number;
}

/** Why a user's latest entry in a concert ended (COMPLETED is told as PAID). */
export const QUEUE_EXIT_REASONS = ['LEFT', 'EXPIRED', 'NO_SHOW', 'PAID', 'SALES_CLOSED'] as const;
export type QueueExitReason = (typeof QUEUE_EXIT_REASONS)[number];
export interface QueueExit {
  reason: QueueExitReason;
  endedAt: Date;
}

/** What a replica needs to compute any waiting position of a concert; see QueueSnapshots. */
export interface SnapshotRow {
  lastTicket: number;
  activatedCount: number;
  activeCount: number;
  capacity: number;
  windowSeconds: number;
  /** The oldest transaction still running when this was read: the next read starts there. */
  horizon: bigint;
  asOf: Date;
  /** Departure buckets changed by transactions at or after the previous horizon, with their masks. */
  buckets: { bucket: number; mask: bigint }[];
}

interface RawLiveEntry {
  entryId: string;
  concertId: string;
  status: LiveStatus;
  ticket: bigint | null;
  expiresAt: Date | null;
  claimBy: Date | null;
  windowOpen: boolean;
  position: bigint | null;
  capacity: number;
  windowSeconds: number;
  asOf: Date;
  salesOpenAt: Date | null;
}

/**
 * The columns of LiveEntryRow for queue entries `e`; callers add the WHERE clause. Every
 * read of queue_entries here is an index probe: `(concert_id, user_id)` on the live-entry
 * index, and the rank of an active entry over the active-entry index (at most `capacity`
 * rows), so no plan depends on how many entries the statistics think the concert has.
 */
const LIVE_ENTRY_COLUMNS = Prisma.sql`
         e.user_id AS "userId", e.concert_id AS "concertId", e.status::text AS status, e.ticket, e.expires_at AS "expiresAt",
         CASE WHEN e.status = 'ACTIVE' AND e.claimed_at IS NULL THEN e.expires_at END AS "claimBy",
         (e.status = 'ACTIVE' AND e.expires_at > clock_timestamp()) AS "windowOpen",
         CASE WHEN e.status = 'ACTIVE'
           THEN 1 + (SELECT count(*) FROM queue_entries a
                     WHERE a.concert_id = e.concert_id AND a.status = 'ACTIVE' AND a.ticket < e.ticket)
         END AS position,
         c.queue_capacity AS capacity, c.queue_window_seconds AS "windowSeconds", clock_timestamp() AS "asOf",
         e.id AS "entryId", c.sales_open_at AS "salesOpenAt"`;
/**
 * A CTE that turns asynchronous commit on for this statement's transaction (SET LOCAL): its
 * commit does not wait for the WAL flush. It runs only when joined (`FROM async_commit`).
 */
const ASYNC_COMMIT = Prisma.sql`async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))`;

const SELECT_LIVE_ENTRY = Prisma.sql`
  SELECT ${LIVE_ENTRY_COLUMNS}
  FROM queue_entries e
  JOIN concerts c ON c.id = e.concert_id`;

const toLiveEntry = (row: RawLiveEntry): LiveEntryRow => ({
  ...row,
  ticket: row.ticket === null ? null : Number(row.ticket),
  position: row.position === null ? null : Number(row.position),
});

/**
 * All SQL of the waiting queue. Lock order everywhere: the concert's `queues` row,
 * then its `queue_entries`. Expiry is always judged by the database clock.
 */
@Injectable()
export class QueueRepository {
  /**
   * These users' live entries in one concert, in one indexed statement (the truth behind a
   * poll). A poll that sees its place ACTIVE claims it here (as queue_window_open does): the
   * full window starts now. Of concurrent claims of one entry, one updates the row and the
   * others, waiting for its lock, re-check it as claimed and change nothing. A claim commits
   * asynchronously, as queue_window_open's does (see docs/decisions.md).
   */
  async findLiveEntries(tx: Db, concertId: string, userIds: string[]): Promise<Map<string, LiveEntryRow>> {
    const rows = await tx.$queryRaw<(RawLiveEntry & { userId: string })[]>`
      WITH ${ASYNC_COMMIT},
      claimed AS (
        UPDATE queue_entries q
        -- One reading of the clock for both (two, each rounded to the millisecond, could make the
        -- window a millisecond short).
        SET claimed_at = n.now, expires_at = n.now + make_interval(secs => g.queue_window_seconds)
        -- async_commit joined here: it runs whenever a row is claimed.
        FROM concerts g, (SELECT clock_timestamp() AS now) n, async_commit
        WHERE g.id = q.concert_id AND q.concert_id = ${concertId}::uuid AND q.user_id = ANY(${userIds}::uuid[])
          AND q.status = 'ACTIVE' AND q.claimed_at IS NULL AND q.expires_at > clock_timestamp()
        RETURNING q.id, q.claimed_at, q.expires_at
      )
      SELECT ${LIVE_ENTRY_COLUMNS}
      -- The statement's snapshot predates the claim: the claimed values come from RETURNING.
      FROM (SELECT r.id, r.concert_id, r.user_id, r.status, r.ticket,
                   coalesce(cl.claimed_at, r.claimed_at) AS claimed_at, coalesce(cl.expires_at, r.expires_at) AS expires_at
            FROM queue_entries r LEFT JOIN claimed cl ON cl.id = r.id
            WHERE r.concert_id = ${concertId}::uuid AND r.user_id = ANY(${userIds}::uuid[])
              AND r.status IN ('PRE_QUEUE', 'WAITING', 'ACTIVE')) e
      JOIN concerts c ON c.id = e.concert_id`;
    return new Map(rows.map(({ userId, ...entry }) => [userId, toLiveEntry(entry)]));
  }

  /** Live entries of one user across concerts, for the concert list. */
  async findLiveEntriesOfUser(tx: Db, userId: string, concertIds: string[]): Promise<LiveEntryRow[]> {
    if (!concertIds.length) return [];
    const rows = await tx.$queryRaw<RawLiveEntry[]>`
      ${SELECT_LIVE_ENTRY}
      WHERE e.user_id = ${userId}::uuid AND e.concert_id = ANY(${concertIds}::uuid[]) AND e.status IN ('PRE_QUEUE', 'WAITING', 'ACTIVE')`;
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
   *
   * The departures come from the statement's snapshot, taken before it waited for the queue
   * row; leavers do not take that row, so one may have committed meanwhile. Missing it can
   * only make the line look longer: an entrant then waits for the sweeper instead of being
   * admitted on arrival, or is told a place one too far back until their first poll; it can
   * never admit anyone out of ticket order.
   */
  async enterMany(
    tx: Db,
    concertId: string,
    userIds: string[],
  ): Promise<Map<string, { created: boolean; entry: LiveEntryRow }> | 'ALREADY_IN_QUEUE'> {
    try {
      const rows = await tx.$queryRaw<(RawLiveEntry & { created: boolean; userId: string })[]>`
        -- Asynchronous commit for this statement only: the queue row's lock is released
        -- without waiting for the WAL flush. A database crash can lose the last fraction of a
        -- second of entries, never a seat or a point, and any later synchronous commit (a
        -- payment) flushes the entries before it. Joined below so that it runs.
        WITH ${ASYNC_COMMIT},
        existing AS MATERIALIZED (
          ${SELECT_LIVE_ENTRY}
          WHERE e.concert_id = ${concertId}::uuid AND e.user_id = ANY(${userIds}::uuid[])
            AND e.status IN ('PRE_QUEUE', 'WAITING', 'ACTIVE')
        ),
        newcomers AS MATERIALIZED (
          SELECT r.user_id, row_number() OVER (ORDER BY r.ord) AS k
          FROM unnest(${userIds}::uuid[]) WITH ORDINALITY AS r(user_id, ord)
          WHERE r.user_id NOT IN (SELECT "userId" FROM existing)
        ),
        batch AS MATERIALIZED (SELECT count(*)::int AS n FROM newcomers),
        departures AS MATERIALIZED (
          SELECT coalesce(sum(s.departed), 0)::bigint AS departed
          FROM queue_departure_stripes s WHERE s.concert_id = ${concertId}::uuid
        ),
        -- Sales state (issue 20): the concert's sales lock (shared), taken before the queue row,
        -- and the state read after it by the database clock.
        sales AS MATERIALIZED (SELECT lock_concert_sales(${concertId}::uuid) AS state),
        ticket AS (
          UPDATE queues q
          -- SET sees the row as locked (re-read if a concurrent batch committed first).
          -- Places are given at once only when nobody is waiting already.
          SET last_ticket = q.last_ticket + b.n,
              active_count = q.active_count + LEAST(b.n, CASE WHEN q.last_ticket = q.activated_count + d.departed
                                                          THEN GREATEST(c.queue_capacity - q.active_count, 0) ELSE 0 END),
              activated_count = q.activated_count + LEAST(b.n, CASE WHEN q.last_ticket = q.activated_count + d.departed
                                                                THEN GREATEST(c.queue_capacity - q.active_count, 0) ELSE 0 END),
              updated_at = clock_timestamp()
          FROM concerts c, batch b, departures d, async_commit, sales
          WHERE q.concert_id = ${concertId}::uuid AND c.id = q.concert_id AND sales.state = 'ON_SALE' AND b.n > 0
          -- From the new values: those still waiting of this batch are n - admitted.
          RETURNING q.last_ticket - b.n AS before_ticket, b.n,
                    GREATEST(0, b.n - (q.last_ticket - q.activated_count - d.departed)) AS admitted,
                    q.active_count, q.activated_count, d.departed,
                    c.queue_capacity, c.queue_window_seconds, c.queue_claim_seconds
        ),
        -- UPCOMING and the pre-queue open (issue 21): newcomers wait for the draw, with no ticket
        -- and without the queue row. The draw's opening takes the sales lock exclusively, so it counts them.
        pre_queued AS (
          INSERT INTO queue_entries (concert_id, user_id, ticket, status)
          SELECT ${concertId}::uuid, nc.user_id, NULL, 'PRE_QUEUE'
          FROM newcomers nc, sales, concerts c
          WHERE sales.state = 'UPCOMING' AND c.id = ${concertId}::uuid AND c.sales_state = 'ON_SALE'
            AND clock_timestamp() >= c.sales_open_at - make_interval(secs => c.pre_queue_opens_seconds)
          RETURNING id, user_id, status
        ), entry AS (
          -- Admitted on arrival, like any admission: the claim time, until the first seat request
          -- (or poll) claims the place. An entrant who never comes back holds it no longer.
          INSERT INTO queue_entries (concert_id, user_id, ticket, status, activated_at, expires_at)
          SELECT ${concertId}::uuid, nc.user_id, t.before_ticket + nc.k,
                 CASE WHEN nc.k <= t.admitted THEN 'ACTIVE' ELSE 'WAITING' END::"QueueEntryStatus",
                 CASE WHEN nc.k <= t.admitted THEN clock_timestamp() END,
                 CASE WHEN nc.k <= t.admitted THEN clock_timestamp() + make_interval(secs => t.queue_claim_seconds) END
          FROM newcomers nc, ticket t
          RETURNING id, user_id, status, ticket, expires_at
        )
        SELECT false AS created, existing.* FROM existing
        UNION ALL
        SELECT true, e.user_id, ${concertId}::uuid, e.status::text, e.ticket, e.expires_at,
               CASE WHEN e.status = 'ACTIVE' THEN e.expires_at END, (e.status = 'ACTIVE'),
               -- New tickets are the last ones: every departure is ahead of them, and an admitted
               -- one has the earlier active entries and the earlier admitted of its batch ahead.
               CASE WHEN e.status = 'ACTIVE' THEN t.active_count - t.admitted + (e.ticket - t.before_ticket)
                    ELSE t.active_count + e.ticket - t.activated_count - t.departed END,
               t.queue_capacity, t.queue_window_seconds, clock_timestamp(), e.id, c.sales_open_at
        FROM entry e, ticket t, concerts c WHERE c.id = ${concertId}::uuid
        UNION ALL
        SELECT true, p.user_id, ${concertId}::uuid, p.status::text, NULL, NULL, NULL, false, NULL,
               c.queue_capacity, c.queue_window_seconds, clock_timestamp(), p.id, c.sales_open_at
        FROM pre_queued p, concerts c WHERE c.id = ${concertId}::uuid`;
      return new Map(
        rows.map(({ created, userId, ...entry }) => [userId, { created, entry: toLiveEntry(entry) }]),
      );
    } catch (error) {
      if (classifyDatabaseError(error)?.code === 'CONFLICT') return 'ALREADY_IN_QUEUE';
      throw error;
    }
  }

  /**
   * Ends the user's entry if it is still WAITING (or PRE_QUEUE), without the concert's queue
   * row: nobody is admitted for it, and a waiting departure is counted by the
   * queue_entries_departure trigger in this statement (a bucket row and one of 16 stripe rows).
   * A pre-queued entry has no ticket, so nothing to count; one the draw is ticketing right now
   * is left after the draw, as the waiting entry it became. False when no such entry.
   */
  async leaveWhileWaiting(tx: Db, concertId: string, userId: string): Promise<boolean> {
    const rows = await tx.$queryRaw<unknown[]>`
      UPDATE queue_entries SET status = 'LEFT', ended_at = clock_timestamp()
      WHERE concert_id = ${concertId}::uuid AND user_id = ${userId}::uuid AND status IN ('PRE_QUEUE', 'WAITING')
      RETURNING 1`;
    return rows.length > 0;
  }

  /**
   * One bounded read of what positions in a concert need: its counters, and the departure
   * buckets changed by transactions at or after `since` (an earlier read's horizon; 0 the
   * first time). A bucket changed by a transaction not yet visible here was written by one
   * at or after this read's horizon, so the next read, starting there, sees it: buckets are
   * read again whole, never missed. Null when the concert has no queue.
   */
  async readSnapshot(tx: Db, concertId: string, since: bigint): Promise<SnapshotRow | null> {
    const rows = await tx.$queryRaw<
      (Omit<SnapshotRow, 'buckets' | 'lastTicket' | 'activatedCount' | 'horizon'> & {
        lastTicket: bigint;
        activatedCount: bigint;
        horizon: string;
        buckets: bigint[];
        masks: bigint[];
      })[]
    >`
      SELECT q.last_ticket AS "lastTicket", q.activated_count AS "activatedCount", q.active_count AS "activeCount",
             c.queue_capacity AS capacity, c.queue_window_seconds AS "windowSeconds",
             pg_snapshot_xmin(pg_current_snapshot())::text AS horizon, clock_timestamp() AS "asOf",
             changed.buckets, changed.masks
      FROM queues q
      JOIN concerts c ON c.id = q.concert_id
      CROSS JOIN LATERAL (
        SELECT coalesce(array_agg(b.bucket), '{}') AS buckets, coalesce(array_agg(b.mask), '{}') AS masks
        FROM queue_departure_buckets b
        WHERE b.concert_id = q.concert_id AND b.changed_xid >= ${since}::bigint
      ) changed
      WHERE q.concert_id = ${concertId}::uuid`;
    const row = rows[0];
    if (!row) return null;
    return {
      ...row,
      lastTicket: Number(row.lastTicket),
      activatedCount: Number(row.activatedCount),
      horizon: BigInt(row.horizon),
      buckets: row.buckets.map((bucket, i) => ({ bucket: Number(bucket), mask: BigInt(row.masks[i]!) })),
    };
  }

  /**
   * As of now by the database clock: CLOSED once its sales close time has passed, UPCOMING
   * before the draw; with the opening and when the pre-queue opens. Null: no such concert.
   */
  async findSales(tx: Db, concertId: string): Promise<ConcertSales | null> {
    const rows = await tx.$queryRaw<ConcertSales[]>`
      SELECT sales_state_now(c)::text AS "salesState", c.sales_state::text AS "storedState", c.sales_open_at AS "salesOpenAt",
             c.sales_open_at - make_interval(secs => c.pre_queue_opens_seconds) AS "preQueueOpensAt"
      FROM concerts c WHERE c.id = ${concertId}::uuid`;
    return rows[0] ?? null;
  }

  /**
   * The draw's first step at the opening (the open_sales_for_draw function): under the sales
   * lock (exclusive), briefly, fixes the pre-queue's size k, reserves tickets 1..k and opens the
   * sales, so that entries from its commit on take tickets k+1.. without waiting for the draw.
   * With `lockWaitMs`, waits at most that long for the locks (lock_timeout; then 55P03).
   */
  async openSalesForDraw(
    tx: Tx,
    concertId: string,
    options: { lockWaitMs?: number } = {},
  ): Promise<OpeningResult> {
    if (options.lockWaitMs !== undefined) {
      await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${options.lockWaitMs}ms`}, true)`;
    }
    const rows = await tx.$queryRaw<OpeningResult[]>`
      SELECT outcome, tickets FROM open_sales_for_draw(${concertId}::uuid)`;
    const row = rows[0];
    if (!row) throw new Error('open_sales_for_draw answered no row');
    return row;
  }

  /**
   * The pre-queue's draw (the draw_pre_queue function), after openSalesForDraw committed:
   * tickets 1..k in the seed's order, without the sales lock, then the first admissions,
   * exactly once per concert (its row serializes the replicas). With `lockWaitMs`, waits at
   * most that long for the rows (lock_timeout for the rest of the transaction; then 55P03).
   */
  async drawPreQueue(tx: Tx, concertId: string, options: { lockWaitMs?: number } = {}): Promise<DrawResult> {
    if (options.lockWaitMs !== undefined) {
      await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${options.lockWaitMs}ms`}, true)`;
    }
    const rows = await tx.$queryRaw<
      { outcome: DrawOutcome; entrants: number | null; admitted: number | null }[]
    >`
      SELECT outcome, entrants, admitted FROM draw_pre_queue(${concertId}::uuid)`;
    const row = rows[0];
    if (!row) throw new Error('draw_pre_queue answered no row');
    return row;
  }

  /** Concerts whose opening has passed by the database clock and whose pre-queue is not drawn yet. */
  async findConcertsToDraw(tx: Db, limit: number): Promise<string[]> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM concerts
      WHERE sales_open_at <= clock_timestamp() AND drawn_at IS NULL AND sales_state <> 'CLOSED'
      ORDER BY sales_open_at
      LIMIT ${limit}::int`;
    return rows.map((row) => row.id);
  }

  /**
   * The draw as published: the commitment (sha256 of the seed) from the start, the seed and
   * a page of the entry ids in drawn order (tickets 1..entrants) once drawn; before, the
   * number of entries in the pre-queue. Null when no such concert.
   */
  async findDraw(
    tx: Db,
    concertId: string,
    page: { offset: number; limit: number },
  ): Promise<DrawRow | null> {
    const rows = await tx.$queryRaw<DrawRow[]>`
      SELECT c.sales_open_at AS "salesOpenAt", c.drawn_at AS "drawnAt",
             encode(sha256(c.draw_seed), 'hex') AS commitment,
             CASE WHEN c.drawn_at IS NOT NULL THEN encode(c.draw_seed, 'hex') END AS seed,
             coalesce(c.draw_entrants,
                      (SELECT count(*)::int FROM queue_entries e WHERE e.concert_id = c.id AND e.status = 'PRE_QUEUE')) AS entrants,
             CASE WHEN c.drawn_at IS NOT NULL THEN (
               SELECT coalesce(array_agg(e.id::text ORDER BY e.ticket), '{}') FROM queue_entries e
               WHERE e.concert_id = c.id AND e.ticket > ${page.offset}::int
                 AND e.ticket <= least(${page.offset + page.limit}::int, c.draw_entrants)
             ) ELSE '{}' END AS "entryIds"
      FROM concerts c WHERE c.id = ${concertId}::uuid`;
    return rows[0] ?? null;
  }

  /**
   * Ends entries and gives the places that frees (and any other free place) to the
   * longest-waiting users, moving the counters: one call of the end_queue_entries function
   * (see its migration), which locks the concert's queue row first. That lock is held until
   * the commit and every payment, leave and entry batch of the concert waits for it, so no
   * round trip to the app happens under it. Null when the concert has no queue. With
   * `lockWaitMs`, waits at most that long for the lock (lock_timeout for the rest of the
   * transaction; then SQLSTATE 55P03), which is why that option needs a Tx.
   */
  endEntriesAndRefill(tx: Db, concertId: string, ending: EntriesToEnd): Promise<EndedEntries | null>;
  endEntriesAndRefill(
    tx: Tx,
    concertId: string,
    ending: EntriesToEnd,
    options: { lockWaitMs?: number },
  ): Promise<EndedEntries | null>;
  async endEntriesAndRefill(
    tx: Db,
    concertId: string,
    ending: EntriesToEnd,
    options: { lockWaitMs?: number } = {},
  ): Promise<EndedEntries | null> {
    if (options.lockWaitMs !== undefined) {
      await tx.$queryRaw`SELECT set_config('lock_timeout', ${`${options.lockWaitMs}ms`}, true)`;
    }
    // The function ends lapsed windows when given no user.
    const [userId, status] = 'userId' in ending ? [ending.userId, ending.status] : [null, 'EXPIRED'];
    const rows = await tx.$queryRaw<EndedEntries[]>`
      SELECT ended, admitted, expired, no_show AS "noShow", completed
      FROM end_queue_entries(${concertId}::uuid, ${userId}::uuid, ${status}::"QueueEntryStatus", false)`;
    return rows[0] ?? null;
  }

  /**
   * The admit after payments: ends the concert's windows that are over (the payments marked
   * theirs) and gives their places to the next users, in one statement that is its own
   * transaction. Asynchronous commit: the queue row's lock is released without waiting for the
   * WAL flush. A crash can lose this admit, never a payment (committed before it): the entries
   * are then still ACTIVE with their windows over, and the next admit or sweep ends them.
   */
  async endLapsedWindowsAndAdmit(tx: Db, concertId: string): Promise<EndedEntries | null> {
    const rows = await tx.$queryRaw<EndedEntries[]>`
      WITH ${ASYNC_COMMIT}
      SELECT e.ended, e.admitted, e.expired, e.no_show AS "noShow", e.completed
      FROM async_commit, end_queue_entries(${concertId}::uuid, NULL, 'EXPIRED', false) e`;
    return rows[0] ?? null;
  }

  /** Concerts with a lapsed window, or with a free place and someone waiting. */
  async findConcertsToSweep(tx: Db, limit: number): Promise<string[]> {
    const rows = await tx.$queryRaw<{ concertId: string }[]>`
      SELECT DISTINCT concert_id::text AS "concertId" FROM queue_entries
      WHERE status = 'ACTIVE' AND expires_at <= clock_timestamp()
      UNION
      SELECT q.concert_id::text FROM queues q JOIN concerts c ON c.id = q.concert_id
      WHERE c.sales_state = 'ON_SALE' AND q.active_count < c.queue_capacity
        -- Opened but not drawn: nobody is admitted until the draw (see end_queue_entries).
        AND (c.sales_opened_at IS NULL OR c.drawn_at IS NOT NULL)
        AND q.last_ticket > q.activated_count
          + (SELECT coalesce(sum(s.departed), 0) FROM queue_departure_stripes s WHERE s.concert_id = q.concert_id)
      LIMIT ${limit}`;
    return rows.map((row) => row.concertId);
  }

  /**
   * Users admitted over the last `seconds` (every window that ended early, by payment, leave
   * or no-show, admitted someone sooner): the measured admission rate. Bounded: an index
   * range over the admissions of that span, and `limit` rows at most.
   */
  async countAdmissionsSince(tx: Db, concertId: string, seconds: number, limit: number): Promise<number> {
    const rows = await tx.$queryRaw<{ count: bigint }[]>`
      SELECT count(*) AS count FROM (
        SELECT 1 FROM queue_entries
        WHERE concert_id = ${concertId}::uuid AND activated_at > clock_timestamp() - make_interval(secs => ${seconds})
        LIMIT ${limit}
      ) recent`;
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * Why the user's latest entry in the concert ended, if it ended within `withinSeconds`: a
   * stored end, or an ACTIVE entry whose window (or claim time) lapsed before the sweeper
   * marked it. Null when none (never entered, or long ago).
   */
  async findLatestExit(
    tx: Db,
    concertId: string,
    userId: string,
    withinSeconds: number,
  ): Promise<QueueExit | null> {
    const rows = await tx.$queryRaw<{ reason: QueueExitReason; endedAt: Date }[]>`
      SELECT CASE WHEN e.status = 'COMPLETED' OR (e.status = 'ACTIVE' AND e.ended_at IS NOT NULL) THEN 'PAID'
                  WHEN e.status = 'ACTIVE' AND e.claimed_at IS NULL THEN 'NO_SHOW'
                  WHEN e.status = 'ACTIVE' THEN 'EXPIRED'
                  ELSE e.status::text END AS reason,
             coalesce(e.ended_at, e.expires_at) AS "endedAt"
      FROM queue_entries e
      WHERE e.user_id = ${userId}::uuid AND e.concert_id = ${concertId}::uuid
        AND (e.status NOT IN ('WAITING', 'ACTIVE') OR (e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp()))
        AND coalesce(e.ended_at, e.expires_at) > clock_timestamp() - make_interval(secs => ${withinSeconds})
      -- A pre-queued entry has no ticket, and every ticketed entry of the concert comes after the draw.
      ORDER BY e.ticket DESC NULLS LAST, e.ended_at DESC
      LIMIT 1`;
    return rows[0] ?? null;
  }
}
