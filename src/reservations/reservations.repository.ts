import { Injectable } from '@nestjs/common';
import type { ConcertRow } from '../concerts/concerts.repository.js';
import { unexpectedOutcome } from '../database/function-outcomes.js';
import { Prisma } from '../generated/prisma/client.js';
import type { ReservationStatus, SeatStatus } from '../generated/prisma/enums.js';
import type { SqlQuery } from '../prisma/prisma.service.js';
import { PerConcertRequestBatcher, togetherOrEachAlone } from '../queue/per-concert-batcher.js';
import type { CatalogSeat } from './seat-catalog.js';
import type { Db, Tx } from '../prisma/transaction-runner.js';

export interface LockedSeat {
  id: string;
  concertId: string;
  status: SeatStatus;
  price: number;
  heldUntil: Date | null;
}

export interface SeatView {
  id: string;
  number: string;
  section: string;
  /** An expired hold reads as AVAILABLE. */
  status: SeatStatus;
  price: number;
  /** The caller holds it (unexpired) or bought it. */
  mine: boolean;
}

export interface SeatMapRows {
  concert: ConcertRow;
  windowOpen: boolean;
  /** Seats in the concert; 0 and no seats when the window is not open. */
  total: number;
  /**
   * Whether the concert's seat positions are exactly 1..total (as every concert created
   * through the API has them), worked out with the count; null when the count was not made.
   */
  positionsDense: boolean | null;
  /** The page's seats, a JSON array of SeatView as the database wrote it: passed on unparsed. */
  seatsJson: string;
}

interface SeatMapRow extends ConcertRow {
  windowOpen: boolean;
  total: number;
  positionsDense: boolean | null;
  seatsJson: string;
}

/** The gate and the concert, as findSeatMap answers them, and the page's seats as status codes. */
export interface SeatStatusRows {
  concert: ConcertRow;
  windowOpen: boolean;
  /**
   * One character per seat of the page, in seat-map order (see seat-catalog.ts): the status's
   * first letter, lower case when the caller holds or bought it; empty when the window is shut.
   */
  statusCodes: string;
}

/** A caller's unfiltered seat page of a concert whose positions are 1..n: seats offset+1 to offset+limit. */
interface SeatPageRequest {
  userId: string;
  offset: number;
  limit: number;
}

interface SeatStatusPagesRow extends ConcertRow {
  /** Per distinct caller, in the statement's order. */
  windowsOpen: boolean[];
  /** Per range read, its seats' codes, none lower case; null when no window is open. */
  rangeCodes: string[] | null;
  /** Per range read, its last seat's position (null when it has none). */
  rangeEnds: (number | null)[] | null;
  /** The positions among the ranges' seats that callers hold or bought, and each one's caller (1-based). */
  ownedPositions: number[] | null;
  owners: number[] | null;
}

/** What a replica knows of a concert's seats, which never change after its creation. */
export interface SeatLayout {
  count: number;
  /** Positions are 1..count: the seats of page p are those at positions (p-1)·limit+1 to p·limit. */
  positionsDense: boolean;
}

export interface HoldRequest {
  userId: string;
  concertId: string;
  seatIds: string[];
  maxSeats: number;
  holdSeconds: number;
}

/**
 * Every outcome the hold_seats function answers (prisma/functions/hold_seats.sql), declared
 * once: function-outcomes.spec.ts fails when this list and the function's differ.
 */
export const HOLD_SEATS_OUTCOMES = [
  'HELD',
  'CONCERT_NOT_FOUND',
  'SALES_PAUSED',
  'SALES_CLOSED',
  'QUEUE_NOT_ACTIVE',
  'HOLD_LIMIT_EXCEEDED',
  'SEAT_LOCKED',
  'SEAT_NOT_FOUND',
  'SEAT_ALREADY_RESERVED',
] as const;
export type HoldSeatsOutcome = (typeof HOLD_SEATS_OUTCOMES)[number];

/** What hold_seats answered: the holds, or the first rule the request broke. */
export type HoldOutcome =
  | { outcome: 'HELD'; holds: HeldReservation[] }
  | { outcome: 'CONCERT_NOT_FOUND' | 'SALES_PAUSED' | 'SALES_CLOSED' | 'QUEUE_NOT_ACTIVE' }
  | { outcome: 'HOLD_LIMIT_EXCEEDED'; held: number }
  | { outcome: 'SEAT_LOCKED' | 'SEAT_NOT_FOUND' | 'SEAT_ALREADY_RESERVED'; seatIds: string[] };

interface HoldSeatsRow {
  outcome: HoldSeatsOutcome;
  held: number | null;
  seatIds: string[] | null;
  holdId: string | null;
  holdSeatId: string | null;
  holdExpiresAt: Date | null;
  holdPrice: number | null;
}

export interface HeldReservation {
  id: string;
  seatId: string;
  status: ReservationStatus;
  /** In points, as charged at payment. */
  price: number;
  expiresAt: Date;
}

export interface ReservationOwner {
  id: string;
  userId: string;
  seatId: string;
}

export interface LockedReservation {
  id: string;
  userId: string;
  concertId: string;
  seatId: string;
  price: number;
  status: ReservationStatus;
  expiresAt: Date;
}

export interface ReservationView {
  id: string;
  concertId: string;
  concertName: string;
  seatId: string;
  seatNumber: string;
  price: number;
  /** A PENDING reservation past its expiry reads as EXPIRED. */
  status: ReservationStatus;
  reservedAt: Date;
  /** When the hold lapses (or lapsed); stays in the row after payment. */
  expiresAt: Date;
  /** When it was paid; null unless CONFIRMED. */
  paidAt: Date | null;
}

/** `e.status`: the status of reservation `r` as the user sees it (see effectiveStatus). */
const EFFECTIVE_STATUS = Prisma.sql`
  CROSS JOIN LATERAL (
    SELECT CASE WHEN r.status = 'PENDING' AND r.expires_at <= clock_timestamp() THEN 'EXPIRED' ELSE r.status::text END AS status
  ) e`;

/**
 * The status of seat `s` as the seat map shows it (a lapsed hold is AVAILABLE), by `g.now`, the
 * seat-map statement's one reading of the database clock: a seat is judged the same way by the
 * page's filter and by its answer.
 */
const SEAT_STATUS = Prisma.sql`
  CASE WHEN s.status = 'HELD' AND s.held_until <= g.now THEN 'AVAILABLE' ELSE s.status::text END`;

/**
 * SEAT_STATUS's first letter (A, H, S; see seat-catalog.ts), by comparing the enum rather than
 * writing it as text: 15% of the seat-status statement's cost. A status this does not name
 * answers NULL, which string_agg leaves out: the page then has a seat too few and is refused.
 */
const SEAT_STATUS_CODE = Prisma.sql`
  CASE s.status WHEN 'HELD' THEN CASE WHEN s.held_until <= g.now THEN 'A' ELSE 'H' END
                WHEN 'AVAILABLE' THEN 'A' WHEN 'SOLD' THEN 'S' END`;

/**
 * The seat-map statements' start: gate `g` (the concert, its sales state and whether the
 * caller's window is open, claiming the place on the first request through, and `g.now`),
 * and the concert's columns and "windowOpen"; the caller's statement goes on with its own.
 */
const seatMapGate = (userId: string, concertId: string) => Prisma.sql`
  WITH gate AS MATERIALIZED (
    SELECT c.*, sales_state_now(c), queue_window_open(c.id, ${userId}::uuid) AS window_open,
           clock_timestamp() AS now
    FROM concerts c WHERE c.id = ${concertId}::uuid
  )
  SELECT g.id::text, g.name, g.venue, g.starts_at AS "startsAt", g.sales_state_now::text AS "salesState",
         g.queue_capacity AS "queueCapacity", g.queue_window_seconds AS "queueWindowSeconds",
         g.sales_open_at AS "salesOpenAt", g.pre_queue_opens_seconds AS "preQueueOpensSeconds",
         g.window_open AS "windowOpen"`;

/**
 * `seat_ids`: the seats the caller holds (unexpired, by `g.now`) or bought in concert `g`,
 * their states judged in the aggregate: with a state in the WHERE clause, a plan made on
 * statistics of few reservations combined the user's index with reservations_live_seat_key,
 * a walk of every live reservation of every concert on each page.
 */
const callersSeatsOf = (userId: Prisma.Sql) => Prisma.sql`(
  SELECT coalesce(array_agg(r.seat_id) FILTER (
           WHERE r.status = 'CONFIRMED' OR (r.status = 'PENDING' AND r.expires_at > g.now)), '{}') AS seat_ids
  FROM reservations r
  WHERE r.user_id = ${userId} AND r.concert_id = g.id
)`;
const callersSeats = (userId: string) => callersSeatsOf(Prisma.sql`${userId}::uuid`);

/**
 * The pages' seats as ranges of positions (from, to], sorted, overlapping and adjacent pages
 * merged: what one statement of seat pages reads once.
 */
function positionRanges(pages: readonly { offset: number; limit: number }[]) {
  const ranges: { from: number; to: number }[] = [];
  const sorted = pages
    .map((page) => ({ from: page.offset, to: page.offset + page.limit }))
    .sort((a, b) => a.from - b.from);
  for (const range of sorted) {
    const last = ranges.at(-1);
    if (last && range.from <= last.to) last.to = Math.max(last.to, range.to);
    else ranges.push({ ...range });
  }
  return ranges;
}

/** A list as PostgreSQL's text form of an array; its items are numbers and uuids, never quoted. */
const arrayLiteral = (items: readonly (string | number)[]) => `{${items.join(',')}}`;

/** A hold's outcome from its hold_seats rows. */
function holdOutcomeOf(rows: readonly HoldSeatsRow[]): HoldOutcome {
  const [first] = rows;
  if (!first) throw new Error('hold_seats answered no row');
  switch (first.outcome) {
    case 'HELD':
      return {
        outcome: 'HELD',
        holds: rows.map((row) => ({
          id: row.holdId!,
          seatId: row.holdSeatId!,
          status: 'PENDING',
          price: row.holdPrice!,
          expiresAt: row.holdExpiresAt!,
        })),
      };
    case 'CONCERT_NOT_FOUND':
    case 'SALES_PAUSED':
    case 'SALES_CLOSED':
    case 'QUEUE_NOT_ACTIVE':
      return { outcome: first.outcome };
    case 'HOLD_LIMIT_EXCEEDED':
      return { outcome: first.outcome, held: first.held! };
    case 'SEAT_LOCKED':
    case 'SEAT_NOT_FOUND':
    case 'SEAT_ALREADY_RESERVED':
      return { outcome: first.outcome, seatIds: first.seatIds! };
    default:
      return unexpectedOutcome('hold_seats', first.outcome);
  }
}

const RESERVATION_VIEW = Prisma.sql`
  SELECT r.id::text, r.concert_id::text AS "concertId", c.name AS "concertName", r.seat_id::text AS "seatId",
         s.number AS "seatNumber", r.price, e.status, r.created_at AS "reservedAt", r.expires_at AS "expiresAt",
         p.created_at AS "paidAt"
  FROM reservations r
  JOIN concerts c ON c.id = r.concert_id
  JOIN seats s ON s.id = r.seat_id
  LEFT JOIN payments p ON p.id = r.payment_id
  ${EFFECTIVE_STATUS}`;

/**
 * All SQL of seats and reservations. Lock order on every path: seats (by id), then
 * reservations; the caller then goes on to wallets and queues. A reservation changes
 * state only while its seat's row lock is held. Expiry is judged by the database clock.
 */
@Injectable()
export class ReservationsRepository {
  /** Per way of running statements (the pool, in production), its batches of seat pages. */
  private readonly seatStatusBatchers = new WeakMap<
    SqlQuery,
    PerConcertRequestBatcher<SeatPageRequest, SeatStatusRows | null>
  >();
  /** Per way of running statements, its batches of holds. */
  private readonly holdBatchers = new WeakMap<
    SqlQuery,
    PerConcertRequestBatcher<HoldRequest, PromiseSettledResult<HoldOutcome>>
  >();

  /** The database clock. Read it after taking locks: the transaction may have waited for them. */
  async readClock(tx: Db): Promise<Date> {
    const rows = await tx.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
    return rows[0]!.now;
  }

  /** Locks the seats that exist among `seatIds`, in id order, so overlapping requests cannot deadlock. */
  lockSeats(tx: Tx, seatIds: string[]): Promise<LockedSeat[]> {
    return tx.$queryRaw<LockedSeat[]>`
      SELECT id::text, concert_id::text AS "concertId", status::text AS status, price, held_until AS "heldUntil"
      FROM seats
      WHERE id = ANY(${seatIds}::uuid[])
      ORDER BY id
      FOR UPDATE`;
  }

  /**
   * Checks and holds in one round trip (the hold_seats function: see prisma/functions/hold_seats.sql
   * for the rules, their order and its locks). Every seat is held, or none and the first rule broken is named.
   *
   * The holds of one concert asked for on `query` while its statement runs go out together as
   * the next one (heldInOneStatement), each answered as it would be alone: in a rush every
   * buyer's hold arrives at once, each a statement with its own round trip, transaction and
   * pool connection.
   */
  async holdSeats(query: SqlQuery, request: HoldRequest): Promise<HoldOutcome> {
    let batcher = this.holdBatchers.get(query);
    if (!batcher) {
      batcher = new PerConcertRequestBatcher((_concertId, requests) => this.holdBatch(query, requests));
      this.holdBatchers.set(query, batcher);
    }
    const answer = await batcher.load(request.concertId, request);
    if (answer.status === 'rejected') throw answer.reason;
    return answer.value;
  }

  /**
   * A batch of one concert's holds: a lone hold in a statement of its own; several in one
   * statement, or, when that statement fails (a deadlock, a lost connection), each alone once,
   * one after the other in arrival order. The failed statement held nothing (it rolled
   * back as a whole), and a hold that would have been answered alone is not turned into an
   * error by another hold of its batch.
   */
  private async holdBatch(
    query: SqlQuery,
    requests: readonly HoldRequest[],
  ): Promise<PromiseSettledResult<HoldOutcome>[]> {
    return togetherOrEachAlone(
      requests,
      (together) => this.heldInOneStatement(query, together),
      (request) => this.holdAlone(query, request),
    );
  }

  /** One hold in a statement of its own. */
  private async holdAlone(query: SqlQuery, request: HoldRequest): Promise<HoldOutcome> {
    // The price comes from the seat row as this statement's snapshot saw it: hold_seats copies
    // the same column, and a seat's price never changes. A subquery per row, not a join, keeps
    // the function's row order (the order of seatIds).
    const rows = await query<HoldSeatsRow>(Prisma.sql`
      SELECT h.outcome, h.held, h.seat_ids::text[] AS "seatIds", h.hold_id::text AS "holdId",
             h.hold_seat_id::text AS "holdSeatId", h.hold_expires_at AS "holdExpiresAt",
             (SELECT s.price FROM seats s WHERE s.id = h.hold_seat_id) AS "holdPrice"
      FROM hold_seats(${request.userId}::uuid, ${request.concertId}::uuid, ${request.seatIds}::uuid[],
                      ${request.maxSeats}::int, ${request.holdSeconds}::int) h`);
    return holdOutcomeOf(rows);
  }

  /**
   * Several holds of one concert in one statement: hold_seats once per hold, one after the
   * other in arrival order (whichever came first gets a seat both want, as alone), each
   * answering its rows tagged with the hold's place. Each call's statements take fresh snapshots
   * that see the earlier calls' writes (a seat held, a user's holds counted against the cap), so
   * each hold is answered as if the earlier ones had committed before it. Every lock taken is
   * kept until the statement ends, so the locks a hold may wait for (the sales lock, the users'
   * claims and hold locks) are taken first, in user id order (take_hold_turns): two replicas'
   * batches, or a batch and a batch of seat pages, cannot deadlock. Seats are never waited for
   * (SKIP LOCKED).
   */
  private async heldInOneStatement(
    query: SqlQuery,
    requests: readonly HoldRequest[],
  ): Promise<PromiseSettledResult<HoldOutcome>[]> {
    // Each hold's seats as the text of an array (the lists differ in length): validated uuids,
    // never quoted. The calls take the concert id from take_hold_turns (once: MATERIALIZED), so
    // they run after it.
    const userIds = requests.map((request) => request.userId);
    const rows = await query<HoldSeatsRow & { hold: number }>(Prisma.sql`
      WITH t AS MATERIALIZED (
        SELECT take_hold_turns(${requests[0]!.concertId}::uuid, ${userIds}::uuid[]) AS concert_id
      )
      SELECT b.hold::int, h.outcome, h.held, h.seat_ids::text[] AS "seatIds", h.hold_id::text AS "holdId",
             h.hold_seat_id::text AS "holdSeatId", h.hold_expires_at AS "holdExpiresAt",
             (SELECT s.price FROM seats s WHERE s.id = h.hold_seat_id) AS "holdPrice"
      FROM t CROSS JOIN unnest(${userIds}::uuid[],
                        ${requests.map((request) => `{${request.seatIds.join(',')}}`)}::text[],
                        ${requests.map((request) => request.maxSeats)}::int[],
                        ${requests.map((request) => request.holdSeconds)}::int[])
           WITH ORDINALITY b(user_id, seat_ids, max_seats, hold_seconds, hold)
      CROSS JOIN LATERAL hold_seats(b.user_id, t.concert_id, b.seat_ids::uuid[],
                                    b.max_seats, b.hold_seconds) WITH ORDINALITY h
      ORDER BY b.hold, h.ordinality`);
    const rowsOfHold = requests.map((): HoldSeatsRow[] => []);
    for (const { hold, ...row } of rows) rowsOfHold[hold - 1]!.push(row);
    return rowsOfHold.map((holdRows): PromiseSettledResult<HoldOutcome> => {
      try {
        return { status: 'fulfilled', value: holdOutcomeOf(holdRows) };
      } catch (reason) {
        return { status: 'rejected', reason };
      }
    });
  }

  /** Frees seats that are HELD (a cancelled hold). */
  releaseHeldSeats(tx: Db, seatIds: string[]): Promise<number> {
    return tx.$executeRaw`
      UPDATE seats SET status = 'AVAILABLE', held_until = NULL WHERE id = ANY(${seatIds}::uuid[]) AND status = 'HELD'`;
  }

  /** Who owns which reservation and its seat, read without locks: enough to know which seats to lock. */
  findOwners(tx: Db, reservationIds: string[]): Promise<ReservationOwner[]> {
    return tx.$queryRaw<ReservationOwner[]>`
      SELECT id::text, user_id::text AS "userId", seat_id::text AS "seatId"
      FROM reservations WHERE id = ANY(${reservationIds}::uuid[])`;
  }

  /** Locks the reservations in id order. Lock their seats first. */
  lockReservations(tx: Tx, reservationIds: string[]): Promise<LockedReservation[]> {
    return tx.$queryRaw<LockedReservation[]>`
      SELECT id::text, user_id::text AS "userId", concert_id::text AS "concertId", seat_id::text AS "seatId",
             price, status::text AS status, expires_at AS "expiresAt"
      FROM reservations
      WHERE id = ANY(${reservationIds}::uuid[])
      ORDER BY id
      FOR UPDATE`;
  }

  cancelPendingReservation(tx: Db, reservationId: string): Promise<number> {
    return tx.$executeRaw`
      UPDATE reservations SET status = 'CANCELLED', updated_at = clock_timestamp()
      WHERE id = ${reservationId}::uuid AND status = 'PENDING'`;
  }

  /**
   * Ends up to `batchSize` lapsed holds in one statement: the seats become AVAILABLE and
   * their PENDING reservations EXPIRED. Found by their reservations (reservations_lapsing_idx;
   * seats have no index on held_until, so that a seat's updates stay heap-only), whose expiry
   * is their seat's. SKIP LOCKED leaves seats that a hold, payment or another replica is
   * working on; FOR UPDATE re-checks the seat's expiry on its newest row version, so a seat
   * held again since is left alone. Seats are locked before their reservations, as every path does.
   */
  releaseLapsedHolds(tx: Db, batchSize: number): Promise<number> {
    return tx.$executeRaw`
      WITH lapsed AS (
        SELECT s.id FROM seats s
        WHERE s.id IN (SELECT r.seat_id FROM reservations r
                       WHERE r.status = 'PENDING' AND r.expires_at <= clock_timestamp()
                       ORDER BY r.expires_at
                       LIMIT ${batchSize}::int)
          AND s.status = 'HELD' AND s.held_until <= clock_timestamp()
        FOR UPDATE SKIP LOCKED
      ), expired AS (
        UPDATE reservations r SET status = 'EXPIRED', updated_at = clock_timestamp()
        FROM lapsed WHERE r.seat_id = lapsed.id AND r.status = 'PENDING'
        RETURNING r.id
      )
      UPDATE seats s SET status = 'AVAILABLE', held_until = NULL
      FROM lapsed WHERE s.id = lapsed.id`;
  }

  /**
   * The concert, whether the user's queue window is open (by the database clock), and when
   * it is, a page of the seats in seat-map order (only those of `status`, when given) and
   * their total: one statement, because a seat map is the most frequent request of a rush
   * and each round trip waits for a pool connection. Each seat says whether the user holds
   * or bought it. Null when there is no such concert. `layout`, the concert's seats as the
   * caller knows them, is answered as the total of an unfiltered page instead of counting
   * every seat again; with positions 1..n, the page is read as a range of positions (an index
   * range of `limit` entries) instead of skipping every seat before it (OFFSET walks them all,
   * 3 ms of database time for a late page of 20,000 seats).
   */
  async findSeatMap(
    query: SqlQuery,
    userId: string,
    concertId: string,
    page: { offset: number; limit: number; status?: SeatStatus },
    layout: SeatLayout | null = null,
  ): Promise<SeatMapRows | null> {
    const status = page.status ?? null;
    const known = status === null ? layout : null;
    // Each case is a statement text of its own, so that the hot one (a known layout, every page
    // but a replica's first) carries neither count as a subplan: with them, its generic plan
    // looked dearer than a custom one and PostgreSQL planned it again on every call (0.75 ms of
    // database CPU per page against 0.47 ms).
    const counted = known
      ? Prisma.sql`${known.count}::int AS total, NULL::boolean AS "positionsDense"`
      : Prisma.sql`
          CASE WHEN g.window_open THEN (
            SELECT count(*)::int FROM seats s
            WHERE s.concert_id = g.id AND (${status}::text IS NULL OR ${SEAT_STATUS} = ${status}::text))
          END AS total,
          CASE WHEN g.window_open AND ${status}::text IS NULL THEN (
            SELECT count(*) = 0 OR (min(s.position) = 1 AND max(s.position) = count(*)
                                    AND count(DISTINCT s.position) = count(*))
            FROM seats s WHERE s.concert_id = g.id)
          END AS "positionsDense"`;
    // The range's ends as subqueries: a plan that cannot see them is the same for every page,
    // so PostgreSQL keeps the generic one. With them in sight, a custom plan looked cheaper than
    // the generic one's guess for a concert of many seats and was planned on every call (database
    // CPU per page 795 µs against 510 µs, bench request-costs on 30,000 seats).
    const pageOfSeats = known?.positionsDense
      ? Prisma.sql`
          FROM seats s
          WHERE s.concert_id = g.id AND s.position > (SELECT ${page.offset}::int)
            AND s.position <= (SELECT ${page.offset + page.limit}::int)`
      : Prisma.sql`
          FROM seats s
          WHERE s.concert_id = g.id AND (${status}::text IS NULL OR ${SEAT_STATUS} = ${status}::text)
          ORDER BY s.position, s.id
          OFFSET ${page.offset}::int LIMIT ${page.limit}::int`;
    // The page comes back as one JSON array, as text: mapping a hundred rows of columns in the
    // app cost more CPU than the query itself, and parsing it only to serialize it again most of the rest.
    const rows = await query<SeatMapRow>(Prisma.sql`
      ${seatMapGate(userId, concertId)}, ${counted},
             CASE WHEN g.window_open THEN (
               -- Written by format(), a SeatView per seat: json_build_object per seat and json_agg
               -- took 2.2 times as long (pgbench, a page of 100). to_json escapes the two free texts.
               SELECT coalesce('[' || string_agg(
                        format('{"id":"%s","number":%s,"section":%s,"price":%s,"status":"%s","mine":%s}',
                               s.id, to_json(s.number), to_json(s.section), s.price, ${SEAT_STATUS},
                               (s.id = ANY(m.seat_ids))::text),
                        ',' ORDER BY s.position, s.id) || ']', '[]')
               -- The page first, then each of its seats' status and owner: not of every seat skipped.
               FROM (SELECT s.id, s.number, s.section, s.price, s.position, s.status, s.held_until
                     ${pageOfSeats}) s
               CROSS JOIN ${callersSeats(userId)} m
             ) ELSE '[]' END AS "seatsJson"
      FROM gate g`);
    const [row] = rows;
    if (!row) return null;
    const { windowOpen, total, positionsDense, seatsJson, ...concert } = row;
    if (!windowOpen) return { concert, windowOpen, total: 0, positionsDense: null, seatsJson: '[]' };
    return { concert, windowOpen, total, positionsDense, seatsJson };
  }

  /**
   * findSeatMap's gate and concert, and the state of each seat of an unfiltered page of a
   * concert whose positions are 1..n, one character a seat (see SeatStatusRows): the seats'
   * other fields never change, so the caller renders them once per replica (SeatCatalog) and
   * the database only judges what changes. Writing each seat's JSON with format() was most of
   * the seat page's database CPU.
   *
   * The pages of one concert asked for on `query` while its statement runs go out together as
   * the next one (seatStatusPages): at an opening every buyer's page arrives at once, and each
   * statement cost as much database CPU in its round trip, parse and start as in its seats.
   */
  findSeatStatuses(
    query: SqlQuery,
    userId: string,
    concertId: string,
    page: { offset: number; limit: number },
  ): Promise<SeatStatusRows | null> {
    let batcher = this.seatStatusBatchers.get(query);
    if (!batcher) {
      batcher = new PerConcertRequestBatcher((batchConcertId, requests) =>
        this.seatStatusPages(query, batchConcertId, requests),
      );
      this.seatStatusBatchers.set(query, batcher);
    }
    return batcher.load(concertId, { userId, ...page });
  }

  /**
   * findSeatStatuses of a batch of callers' pages of one concert, in one statement: the gate
   * once per distinct caller (with its claim), each seat of the pages' union read once, and
   * each caller's own seats among them; answered per request, as a statement of its own would.
   */
  private async seatStatusPages(
    query: SqlQuery,
    concertId: string,
    requests: readonly SeatPageRequest[],
  ): Promise<(SeatStatusRows | null)[]> {
    // A claim locks its entry row until the statement ends: in user id order (uuid order is
    // that of their lower-case text), two replicas' batches claiming the same users cannot deadlock.
    const userIds = [...new Set(requests.map((request) => request.userId))].sort();
    const ranges = positionRanges(requests);
    // Lists as array literals (what pg would send for an array), so the statement's values are
    // all scalars, as the plan tests inline them.
    const rows = await query<SeatStatusPagesRow>(Prisma.sql`
      WITH gate AS MATERIALIZED (
        SELECT c.*, sales_state_now(c), clock_timestamp() AS now
        FROM concerts c WHERE c.id = ${concertId}::uuid
      ), callers AS MATERIALIZED (
        SELECT u.user_id, u.ord, queue_window_open(g.id, u.user_id) AS window_open
        FROM gate g CROSS JOIN unnest(${arrayLiteral(userIds)}::uuid[]) WITH ORDINALITY u(user_id, ord)
      ), owned AS MATERIALIZED (
        SELECT c.ord, m.seat_id
        FROM callers c CROSS JOIN gate g
        CROSS JOIN LATERAL unnest(${callersSeatsOf(Prisma.sql`c.user_id`)}) m(seat_id)
        WHERE c.window_open
      ), pages AS MATERIALIZED (
        SELECT r.ord, p.*
        FROM gate g
        CROSS JOIN unnest(${arrayLiteral(ranges.map((range) => range.from))}::int[],
                          ${arrayLiteral(ranges.map((range) => range.to))}::int[])
                   WITH ORDINALITY r(from_position, to_position, ord)
        -- Each range an index range of its seats; each seat's owner among the callers by its id.
        CROSS JOIN LATERAL (
          SELECT coalesce(string_agg(${SEAT_STATUS_CODE}, '' ORDER BY s.position), '') AS codes,
                 max(s.position) AS last_position,
                 array_agg(s.position) FILTER (WHERE o.ord IS NOT NULL) AS owned_positions,
                 array_agg(o.ord) FILTER (WHERE o.ord IS NOT NULL) AS owners
          FROM seats s LEFT JOIN owned o ON o.seat_id = s.id
          WHERE s.concert_id = g.id AND s.position > r.from_position AND s.position <= r.to_position
        ) p
        WHERE EXISTS (SELECT FROM callers c WHERE c.window_open)
      )
      SELECT g.id::text, g.name, g.venue, g.starts_at AS "startsAt", g.sales_state_now::text AS "salesState",
             g.queue_capacity AS "queueCapacity", g.queue_window_seconds AS "queueWindowSeconds",
             g.sales_open_at AS "salesOpenAt", g.pre_queue_opens_seconds AS "preQueueOpensSeconds",
             (SELECT array_agg(c.window_open ORDER BY c.ord) FROM callers c) AS "windowsOpen",
             (SELECT array_agg(p.codes ORDER BY p.ord) FROM pages p) AS "rangeCodes",
             (SELECT array_agg(p.last_position ORDER BY p.ord) FROM pages p) AS "rangeEnds",
             (SELECT array_agg(o.position) FROM pages p, unnest(p.owned_positions) o(position)) AS "ownedPositions",
             (SELECT array_agg(o.owner::int) FROM pages p, unnest(p.owners) o(owner)) AS "owners"
      FROM gate g`);
    const [row] = rows;
    if (!row) return requests.map(() => null);
    const { windowsOpen, rangeCodes, rangeEnds, ownedPositions, owners, ...concert } = row;
    const ownedByCaller = new Map<number, number[]>();
    (owners ?? []).forEach((owner, i) =>
      ownedByCaller.set(owner - 1, [...(ownedByCaller.get(owner - 1) ?? []), ownedPositions![i]!]),
    );
    const callerOf = new Map(userIds.map((userId, i) => [userId, i]));
    return requests.map(({ userId, offset, limit }) => {
      const caller = callerOf.get(userId)!;
      const windowOpen = windowsOpen[caller]!;
      if (!windowOpen) return { concert, windowOpen, statusCodes: '' };
      const index = ranges.findIndex((range) => range.from <= offset && offset + limit <= range.to);
      const codes = rangeCodes?.[index] ?? '';
      const from = ranges[index]?.from ?? offset;
      // A range's seats are positions from+1 to its last one, each once: else a page cut from
      // it would be shifted, and the catalog could not tell.
      if (codes.length !== (rangeEnds?.[index] ?? from) - from)
        throw new Error(`Seat positions after ${from} are not 1..n: ${codes.length} statuses`);
      const page = [...codes.slice(offset - from, offset - from + limit)];
      // Lower case marks the caller's own seats.
      for (const position of ownedByCaller.get(caller) ?? []) {
        const i = position - 1 - offset;
        if (i >= 0 && i < page.length) page[i] = page[i]!.toLowerCase();
      }
      return { concert, windowOpen, statusCodes: page.join('') };
    });
  }

  /** The concert's seats in seat-map order, for SeatCatalog: read once per concert and replica. */
  findCatalogSeats(query: SqlQuery, concertId: string): Promise<CatalogSeat[]> {
    return query<CatalogSeat>(Prisma.sql`
      SELECT s.id::text, s.number, s.section, s.price FROM seats s
      WHERE s.concert_id = ${concertId}::uuid ORDER BY s.position, s.id`);
  }

  /**
   * The concert's opening while its sales have not opened (UPCOMING by the database clock:
   * before salesOpenAt, until the draw); undefined once they have, or with no such concert.
   */
  async findPendingOpening(tx: Db, concertId: string): Promise<{ salesOpenAt: Date } | undefined> {
    const rows = await tx.$queryRaw<{ salesOpenAt: Date }[]>`
      SELECT c.sales_open_at AS "salesOpenAt" FROM concerts c
      WHERE c.id = ${concertId}::uuid AND sales_state_now(c) = 'UPCOMING'`;
    return rows[0];
  }

  /** The user's reservations newest first, filtered by status as the user sees it. */
  findReservationPage(
    tx: Db,
    userId: string,
    status: ReservationStatus | undefined,
    offset: number,
    limit: number,
  ): Promise<ReservationView[]> {
    return tx.$queryRaw<ReservationView[]>`
      ${RESERVATION_VIEW}
      WHERE r.user_id = ${userId}::uuid AND (${status ?? null}::text IS NULL OR e.status = ${status ?? null}::text)
      ORDER BY r.created_at DESC, r.id DESC
      OFFSET ${offset}::int LIMIT ${limit}::int`;
  }

  async countReservations(tx: Db, userId: string, status: ReservationStatus | undefined): Promise<number> {
    const rows = await tx.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count
      FROM reservations r
      ${EFFECTIVE_STATUS}
      WHERE r.user_id = ${userId}::uuid AND (${status ?? null}::text IS NULL OR e.status = ${status ?? null}::text)`;
    return rows[0]?.count ?? 0;
  }

  findReservationsOfPayment(tx: Db, paymentId: string): Promise<ReservationView[]> {
    return tx.$queryRaw<ReservationView[]>`
      ${RESERVATION_VIEW}
      WHERE r.payment_id = ${paymentId}::uuid
      ORDER BY c.starts_at, r.concert_id, s.position, r.id`;
  }
}
