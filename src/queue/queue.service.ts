import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConcertNotFoundError, SalesClosedError, SalesPausedError } from '../concerts/concerts.errors.js';
import { classifyDatabaseError } from '../common/errors/database-errors.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner } from '../prisma/transaction-runner.js';
import {
  ConcurrentEntryError,
  DrawNotFoundError,
  PreQueueNotOpenError,
  QueueEntryEndedError,
  QueueEntryNotFoundError,
} from './queue.errors.js';
import { preQueueRetryAfterMs } from './pre-queue.js';
import { PerConcertBatcher } from './per-concert-batcher.js';
import { PerConcertCoalescer } from './per-concert-coalescer.js';
import { estimateWaitSeconds, retryAfterMs } from './queue-position.js';
import { QueueExits } from './queue-exits.js';
import { QueueSnapshots, type QueueSnapshot } from './queue-snapshots.js';
import { QueueTickets } from './queue-ticket.js';
import { QueueRepository, type DrawRow, type EndedEntries, type LiveEntryRow } from './queue.repository.js';

export interface QueueState {
  concertId: string;
  status: 'PRE_QUEUE' | 'ACTIVE' | 'WAITING';
  /** Null in the pre-queue: places are drawn at the opening. */
  position: number | null;
  waitSeconds: number | null;
  expiresAt: Date | null;
  /** ACTIVE but not claimed yet: the place lapses (NO_SHOW) unless claimed by then. */
  claimBy: Date | null;
  retryAfterMs: number;
  /** The database clock of the data the answer comes from (a waiting position's snapshot). */
  asOf: Date;
  /** The caller's ticket, signed for them and this concert: sent back as `Queue-Ticket` on polls. Null in the pre-queue. */
  queueTicket: string | null;
  /** The entry's id, when the answer read the entry: the draw orders entries by it. */
  entryId?: string;
  /** The concert's opening; null when its sales opened at once. */
  salesOpenAt?: Date | null;
}

export interface DrawPage extends DrawRow {
  page: number;
  limit: number;
}

/** Admissions are counted over this span, at most once per concert and replica per ADMISSION_RATE_CACHE_MS. */
const ADMISSION_RATE_SECONDS = 180;
const ADMISSION_RATE_CACHE_MS = 5_000;
/** Bounds the count's cost; beyond it the rate reads as this many per span (over 500 a second). */
const ADMISSION_RATE_MAX_COUNT = 100_000;

const SWEEP_BATCH = 100;
/** Concerts drawn per sweeper pass at most. */
const DRAW_BATCH = 10;
/** How long a sweep waits for a busy concert's queue row before leaving it for the next pass. */
const SWEEP_LOCK_WAIT_MS = 250;
/** Each retry finds the users that won the race among the existing entries, so one more try settles it. */
const ENTRY_ATTEMPTS = 3;
/** Reads of a poller's entry when the snapshot, newer than the read, says it moved on: the second settles it. */
const READ_ATTEMPTS = 3;
/** Waiting users whose ticket a replica remembers (about 100 bytes each); the oldest is dropped beyond this. */
const MAX_REMEMBERED_TICKETS = 200_000;
/** Concerts whose admission rate a replica keeps. */
const MAX_CONCERT_RATES = 1_000;

@Injectable()
export class QueueService implements OnApplicationShutdown {
  private readonly logger = new Logger(QueueService.name);
  /** Per concert: admissions over the last ADMISSION_RATE_SECONDS as last counted, and when that count started. */
  private readonly admissionCounts = new Map<string, { admitted: number | null; measuredAt: number }>();
  /** Concurrent entries into one concert go in as one statement: one queue-row lock per batch. */
  private readonly entries = new PerConcertBatcher((concertId, userIds) =>
    this.enterBatch(concertId, userIds),
  );
  /** Concurrent reads of pollers' entries in one concert go out as one query. */
  private readonly polls = new PerConcertBatcher((concertId, userIds) =>
    this.repo.findLiveEntries(this.prisma, concertId, userIds),
  );

  /**
   * Admits after payments: one call per concert at a time, the payments that commit meanwhile
   * served by one more call. A failure is only logged: the sweeper's next pass does the same.
   */
  private readonly admits = new PerConcertCoalescer(
    async (concertId) => this.countEnded(await this.repo.endLapsedWindowsAndAdmit(this.prisma, concertId)),
    (concertId, error) =>
      this.logger.warn(`Admit after payment in concert ${concertId} failed: ${String(error)}`),
  );

  /**
   * The ticket of each waiting user polled through this replica, by concert and user: with
   * it, a poll is answered from the concert's snapshot, with no database round trip.
   */
  private readonly tickets = new Map<string, number>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly tx: TransactionRunner,
    private readonly repo: QueueRepository,
    private readonly snapshots: QueueSnapshots,
    private readonly queueTickets: QueueTickets,
    private readonly metrics: EventMetrics,
    private readonly exits: QueueExits,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.admits.idle();
  }

  /** Enters the queue, or returns the current place when already in it (created: false). */
  async enter(userId: string, concertId: string): Promise<{ created: boolean; state: QueueState }> {
    const { result, repeated } = await this.entries.load(concertId, userId);
    if (!result) {
      const sales = await this.repo.findSales(this.prisma, concertId);
      if (!sales) throw new ConcertNotFoundError(concertId);
      if (sales.salesState === 'UPCOMING' && sales.storedState !== 'PAUSED')
        throw new PreQueueNotOpenError(concertId, sales.preQueueOpensAt!, sales.salesOpenAt!);
      // ON_SALE here: it was paused when the batch ran and resumed since.
      throw sales.salesState === 'CLOSED'
        ? new SalesClosedError({ concertId })
        : new SalesPausedError(concertId);
    }
    const { entry } = result;
    // A user's second request in the same batch created nothing.
    const created = result.created && !repeated;
    if (entry.status === 'ACTIVE' && !entry.windowOpen) {
      // A lapsed window the sweeper has not reached yet: end it now, then queue again at the back.
      await this.sweepConcert(concertId);
      return this.enter(userId, concertId);
    }
    return {
      created,
      state: (await this.stateOf(userId, entry)) ?? (await this.readState(userId, concertId)),
    };
  }

  /**
   * The caller's place. A waiting user whose ticket is known, from the signed `queueTicket`
   * they sent back or remembered by this replica, is answered from the concert's snapshot,
   * without a database round trip; when the snapshot says their turn has come (or that they
   * left), their entry is read before anything else is answered.
   */
  async getState(userId: string, concertId: string, queueTicket?: string): Promise<QueueState> {
    const ticket = this.knownTicket(userId, concertId, queueTicket);
    if (ticket !== undefined) {
      const snapshot = await this.snapshots.get(concertId, ticket);
      const position = snapshot?.positionOf(ticket);
      if (snapshot && position) {
        return this.waitingState(concertId, userId, ticket, snapshot, position, snapshot.asOf);
      }
      this.tickets.delete(ticketKey(concertId, userId));
    }
    return this.readState(userId, concertId);
  }

  /**
   * The caller's WAITING state when this replica can give it without waiting for anything:
   * their ticket is known and the concert's snapshot is fresh and says they still wait. Null
   * otherwise, and then getState answers. QueuePollFastPath answers steady polls with it.
   */
  waitingStateNow(userId: string, concertId: string, queueTicket?: string): QueueState | null {
    const ticket = this.knownTicket(userId, concertId, queueTicket);
    if (ticket === undefined) return null;
    const snapshot = this.snapshots.peek(concertId, ticket);
    const position = snapshot?.positionOf(ticket);
    if (!snapshot || !position) return null;
    return this.waitingState(concertId, userId, ticket, snapshot, position, snapshot.asOf);
  }

  /** The ticket the caller sent back signed, or the one this replica remembers for them. */
  private knownTicket(
    userId: string,
    concertId: string,
    queueTicket: string | undefined,
  ): number | undefined {
    return (
      this.queueTickets.verify(queueTicket, concertId, userId) ??
      this.tickets.get(ticketKey(concertId, userId))
    );
  }

  /** The caller's state in each of these concerts where they are queued. */
  async statesForUser(userId: string, concertIds: string[]): Promise<Map<string, QueueState>> {
    const entries = await this.repo.findLiveEntriesOfUser(this.prisma, userId, concertIds);
    const states = await Promise.all(
      entries
        .filter((entry) => entry.status !== 'ACTIVE' || entry.windowOpen)
        .map(
          async (entry) =>
            (await this.stateOf(userId, entry)) ??
            (await this.readState(userId, entry.concertId).catch((error: unknown) => {
              // Left or admitted and lapsed meanwhile: not queued there any more.
              if (error instanceof QueueEntryNotFoundError) return null;
              throw error;
            })),
        ),
    );
    return new Map(states.filter((state) => state !== null).map((state) => [state.concertId, state]));
  }

  /**
   * Leaves the queue. A waiting user leaves in one statement that does not touch the
   * concert's queue row; an active one through end_queue_entries, which gives the freed
   * place to the next waiting user in the same call. Idempotent.
   */
  async leave(userId: string, concertId: string): Promise<void> {
    this.tickets.delete(ticketKey(concertId, userId));
    if (await this.repo.leaveWhileWaiting(this.prisma, concertId, userId)) {
      this.metrics.queueEntriesEndedCount('left', 1);
      return;
    }
    const result = await this.repo.endEntriesAndRefill(this.prisma, concertId, { userId, status: 'LEFT' });
    if (!result) throw new ConcertNotFoundError(concertId);
    // A window a payment had marked ends as COMPLETED even when its owner leaves.
    this.metrics.queueEntriesEndedCount('left', result.ended - result.completed);
    this.countEnded(result);
  }

  /**
   * A payment ended the payer's windows in these concerts (it marks the entries and commits
   * without the concerts' queue rows): their places go to the next users now, in the
   * background, batched per concert. Call it after the payment's commit.
   */
  admitAfterPayment(concertIds: string[]): void {
    for (const concertId of concertIds) this.admits.request(concertId);
  }

  /**
   * Expires lapsed windows and fills free places, one short transaction per concert. A
   * concert's queue row is waited for only briefly: on a hot concert it is locked by entry
   * batches and payments most of the time, and skipping it outright (SKIP LOCKED) left
   * windows seconds past their expiry under load. Several replicas sweeping at once just
   * take turns; a concert still busy after the wait is left for the next pass.
   */
  async sweep(): Promise<{ expired: number; admitted: number }> {
    const concertIds = await this.repo.findConcertsToSweep(this.prisma, SWEEP_BATCH);
    let expired = 0;
    let admitted = 0;
    for (const concertId of concertIds) {
      const result = await this.sweepConcert(concertId, { lockWaitMs: SWEEP_LOCK_WAIT_MS }).catch(
        (error: unknown) => {
          if (classifyDatabaseError(error)?.code === 'CONCURRENT_UPDATE') return null;
          throw error;
        },
      );
      expired += (result?.expired ?? 0) + (result?.noShow ?? 0);
      admitted += result?.admitted ?? 0;
    }
    return { expired, admitted };
  }

  /**
   * Draws the pre-queues whose opening has passed, per concert in two short transactions:
   * the opening (open_sales_for_draw: the sales lock, exclusive, for a count and two rows),
   * then the draw (draw_pre_queue: the tickets in the seed's order, without that lock), so
   * that entries arriving meanwhile never wait for the draw. Exactly once whichever replica
   * gets there first; the others find it opened, then drawn. A concert whose locks stay busy
   * past the wait is left for the next pass, which resumes where it stopped.
   */
  async drawDuePreQueues(): Promise<{ drawn: number; entrants: number; admitted: number }> {
    const concertIds = await this.repo.findConcertsToDraw(this.prisma, DRAW_BATCH);
    const total = { drawn: 0, entrants: 0, admitted: 0 };
    const skipBusy = (error: unknown) => {
      if (classifyDatabaseError(error)?.code === 'CONCURRENT_UPDATE') return null;
      throw error;
    };
    for (const concertId of concertIds) {
      const opening = await this.tx
        .run((tx) => this.repo.openSalesForDraw(tx, concertId, { lockWaitMs: SWEEP_LOCK_WAIT_MS }))
        .catch(skipBusy);
      if (opening?.outcome !== 'OPENED' && opening?.outcome !== 'ALREADY_OPENED') continue;
      const result = await this.tx
        .run((tx) => this.repo.drawPreQueue(tx, concertId, { lockWaitMs: SWEEP_LOCK_WAIT_MS }))
        .catch(skipBusy);
      if (result?.outcome !== 'DRAWN') continue;
      total.drawn++;
      total.entrants += result.entrants ?? 0;
      total.admitted += result.admitted ?? 0;
    }
    return total;
  }

  /** The concert's draw as published (see QueueRepository.findDraw); 404 without an opening. */
  async getDraw(concertId: string, page: number, limit: number): Promise<DrawPage> {
    const draw = await this.repo.findDraw(this.prisma, concertId, { offset: (page - 1) * limit, limit });
    if (!draw) throw new ConcertNotFoundError(concertId);
    if (!draw.commitment) throw new DrawNotFoundError(concertId);
    return { ...draw, page, limit };
  }

  /** One statement for the batch; a user entered concurrently elsewhere makes it roll back, and it runs again. */
  private async enterBatch(
    concertId: string,
    userIds: string[],
  ): Promise<Map<string, { created: boolean; entry: LiveEntryRow }>> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.repo.enterMany(this.prisma, concertId, userIds);
      if (result !== 'ALREADY_IN_QUEUE') return result;
      if (attempt === ENTRY_ATTEMPTS) throw new ConcurrentEntryError(concertId);
    }
  }

  private async sweepConcert(
    concertId: string,
    options: { lockWaitMs?: number } = {},
  ): Promise<EndedEntries | null> {
    const swept = await this.tx.run((tx) =>
      this.repo.endEntriesAndRefill(tx, concertId, { lapsedWindows: true }, options),
    );
    this.countEnded(swept);
    return swept;
  }

  /** Windows ended by lapsing (EXPIRED, NO_SHOW) or by a payment (COMPLETED), in the metric by reason. */
  private countEnded(ended: EndedEntries | null): void {
    if (!ended) return;
    this.metrics.queueEntriesEndedCount('expired', ended.expired);
    this.metrics.queueEntriesEndedCount('no_show', ended.noShow);
    this.metrics.queueEntriesEndedCount('completed', ended.completed);
  }

  /** Reads the caller's entry (coalesced with concurrent polls of the concert) and answers from it. */
  private async readState(userId: string, concertId: string): Promise<QueueState> {
    for (let attempt = 1; ; attempt++) {
      const { result: entry } = await this.polls.load(concertId, userId);
      // A window that lapsed is over even before the sweeper marks it.
      if (!entry || (entry.status === 'ACTIVE' && !entry.windowOpen)) {
        if (!(await this.repo.findSales(this.prisma, concertId))) throw new ConcertNotFoundError(concertId);
        const exit = await this.exits.latest(userId, concertId);
        throw exit ? new QueueEntryEndedError(concertId, exit) : new QueueEntryNotFoundError(concertId);
      }
      const state = await this.stateOf(userId, entry);
      if (state) return state;
      if (attempt === READ_ATTEMPTS) throw new ConcurrentEntryError(concertId);
    }
  }

  /**
   * The state of an entry just read. A waiting entry's position comes from the snapshot
   * (refreshed first if it does not know the ticket yet), and its ticket is remembered for
   * the next polls. Null when the snapshot, newer than the read, says the entry was admitted
   * or left meanwhile: the caller reads it again.
   */
  private async stateOf(userId: string, entry: LiveEntryRow): Promise<QueueState | null> {
    const known = { entryId: entry.entryId, salesOpenAt: entry.salesOpenAt };
    if (entry.status === 'PRE_QUEUE') {
      return {
        concertId: entry.concertId,
        status: 'PRE_QUEUE',
        position: null,
        waitSeconds: null,
        expiresAt: null,
        claimBy: null,
        retryAfterMs: preQueueRetryAfterMs(entry.salesOpenAt!, entry.asOf),
        asOf: entry.asOf,
        queueTicket: null,
        ...known,
      };
    }
    // WAITING and ACTIVE entries have their ticket (the table's CHECK).
    const ticket = entry.ticket!;
    if (entry.status === 'ACTIVE') {
      return {
        concertId: entry.concertId,
        status: 'ACTIVE',
        position: entry.position!,
        waitSeconds: null,
        expiresAt: entry.expiresAt,
        claimBy: entry.claimBy,
        retryAfterMs: retryAfterMs({
          status: 'ACTIVE',
          msLeft: entry.expiresAt!.getTime() - entry.asOf.getTime(),
          claimed: entry.claimBy === null,
        }),
        asOf: entry.asOf,
        queueTicket: this.queueTickets.sign(entry.concertId, userId, ticket),
        ...known,
      };
    }
    this.rememberTicket(ticketKey(entry.concertId, userId), ticket);
    if (entry.position !== null) {
      return {
        ...this.waitingState(entry.concertId, userId, ticket, entry, entry.position, entry.asOf),
        ...known,
      };
    }
    const snapshot = await this.snapshots.get(entry.concertId, ticket);
    const position = snapshot?.positionOf(ticket);
    if (!snapshot || !position) {
      this.tickets.delete(ticketKey(entry.concertId, userId));
      return null;
    }
    return {
      ...this.waitingState(entry.concertId, userId, ticket, snapshot, position, snapshot.asOf),
      ...known,
    };
  }

  /**
   * A waiting user's state from a snapshot (or the statement that entered them), with no
   * database round trip: the wait comes from the concert's admission rate cached on this
   * replica, whose refresh runs in the background.
   */
  waitingState(
    concertId: string,
    userId: string,
    ticket: number,
    queue: Pick<QueueSnapshot, 'capacity' | 'windowSeconds'>,
    position: number,
    asOf: Date,
  ): QueueState {
    const waitSeconds = estimateWaitSeconds({
      position,
      capacity: queue.capacity,
      windowSeconds: queue.windowSeconds,
      admissionsPerSecond: this.admissionsPerSecond(concertId, queue.capacity),
    });
    return {
      concertId,
      status: 'WAITING',
      position,
      waitSeconds,
      expiresAt: null,
      claimBy: null,
      retryAfterMs: retryAfterMs({ status: 'WAITING', position, capacity: queue.capacity, waitSeconds }),
      asOf,
      queueTicket: this.queueTickets.sign(concertId, userId, ticket),
    };
  }

  private rememberTicket(key: string, ticket: number): void {
    this.tickets.delete(key);
    if (this.tickets.size >= MAX_REMEMBERED_TICKETS) this.tickets.delete(this.tickets.keys().next().value!);
    this.tickets.set(key, ticket);
  }

  /**
   * Admissions per second over the last ADMISSION_RATE_SECONDS, as last counted on this
   * replica. Null (the full-window estimate then) before the first count, or while the count
   * is no more than one capacity: those are the places filled on arrival, not a rate. A count
   * older than ADMISSION_RATE_CACHE_MS starts one count in the background; no poll waits for it.
   */
  private admissionsPerSecond(concertId: string, capacity: number): number | null {
    const cached = this.admissionCounts.get(concertId);
    const rate = (admitted: number | null | undefined) =>
      admitted && admitted > capacity ? admitted / ADMISSION_RATE_SECONDS : null;
    if (cached && Date.now() - cached.measuredAt < ADMISSION_RATE_CACHE_MS) return rate(cached.admitted);
    const measurement = { admitted: cached?.admitted ?? null, measuredAt: Date.now() };
    if (!cached && this.admissionCounts.size >= MAX_CONCERT_RATES) {
      this.admissionCounts.delete(this.admissionCounts.keys().next().value!);
    }
    this.admissionCounts.set(concertId, measurement);
    this.repo
      .countAdmissionsSince(this.prisma, concertId, ADMISSION_RATE_SECONDS, ADMISSION_RATE_MAX_COUNT)
      .then((admitted) => (measurement.admitted = admitted))
      // A failed count keeps the previous one; the next poll after the cache time counts again.
      .catch(() => undefined);
    return rate(measurement.admitted);
  }
}

const ticketKey = (concertId: string, userId: string): string => `${concertId}:${userId}`;
