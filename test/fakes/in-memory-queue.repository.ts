import type { Db } from '../../src/prisma/transaction-runner.js';
import type {
  ConcertSales,
  DrawResult,
  OpeningResult,
  DrawRow,
  EndedEntries,
  EntriesToEnd,
  LiveEntryRow,
  QueueExit,
  QueueExitReason,
  QueueRepository,
  SnapshotRow,
} from '../../src/queue/queue.repository.js';
import type { PublicOf } from './fake.js';

type EntryStatus = 'WAITING' | 'ACTIVE' | 'LEFT' | 'EXPIRED' | 'NO_SHOW' | 'COMPLETED';

interface Entry {
  userId: string;
  ticket: number;
  status: EntryStatus;
  expiresAt: Date | null;
  activatedAt: Date | null;
  /** Null while an admitted place is unclaimed (expiresAt is then the claim deadline). */
  claimedAt: Date | null;
  /** Set when the entry ended, or on an ACTIVE entry when a payment marked its window. */
  endedAt: Date | null;
}

interface Queue {
  salesState: 'ON_SALE' | 'PAUSED' | 'CLOSED';
  capacity: number;
  windowSeconds: number;
  claimSeconds: number;
  lastTicket: number;
  activatedCount: number;
  entries: Entry[];
  /** Tickets that left while waiting: the departures a snapshot counts. */
  departed: Set<number>;
}

/**
 * The queue rules of queue.repository.ts and end_queue_entries, in memory: tickets in order of
 * entry, admission in ticket order up to the capacity with the claim time, a poll's read
 * claiming an admitted place (the full window starts then), windows judged by `now` (the
 * database clock) and ended by reason (EXPIRED once claimed, NO_SHOW if never, COMPLETED when
 * a payment marked them), departures of waiting users counted for snapshots.
 */
export class InMemoryQueueRepository implements PublicOf<QueueRepository> {
  /** The database clock. */
  now = new Date('2026-01-01T10:00:00Z');
  private readonly queues = new Map<string, Queue>();

  addConcert(
    concertId: string,
    settings: {
      capacity: number;
      windowSeconds: number;
      claimSeconds: number;
      salesState?: Queue['salesState'];
    },
  ): void {
    this.queues.set(concertId, {
      salesState: settings.salesState ?? 'ON_SALE',
      capacity: settings.capacity,
      windowSeconds: settings.windowSeconds,
      claimSeconds: settings.claimSeconds,
      lastTicket: 0,
      activatedCount: 0,
      entries: [],
      departed: new Set(),
    });
  }

  setSalesState(concertId: string, salesState: Queue['salesState']): void {
    this.queueOf(concertId).salesState = salesState;
  }

  advanceSeconds(seconds: number): void {
    this.now = new Date(this.now.getTime() + seconds * 1000);
  }

  statusOf(concertId: string, userId: string): EntryStatus[] {
    return this.queueOf(concertId)
      .entries.filter((entry) => entry.userId === userId)
      .map((entry) => entry.status);
  }

  /** What pay_reservations does to the payer's window: marks it ended, for the next admit to complete. */
  markPaid(concertId: string, userId: string): void {
    const entry = this.liveEntry(concertId, userId);
    if (entry?.status !== 'ACTIVE') throw new Error(`${userId} has no window in ${concertId}`);
    entry.endedAt = this.now;
    entry.expiresAt = entry.expiresAt! < this.now ? entry.expiresAt : this.now;
  }

  async findLiveEntries(_tx: Db, concertId: string, userIds: string[]): Promise<Map<string, LiveEntryRow>> {
    const rows = new Map<string, LiveEntryRow>();
    for (const userId of userIds) {
      const entry = this.liveEntry(concertId, userId);
      if (!entry) continue;
      // A poll that sees its place admitted claims it: the full window starts now.
      if (entry.status === 'ACTIVE' && entry.claimedAt === null && entry.expiresAt! > this.now) {
        entry.claimedAt = this.now;
        entry.expiresAt = this.after(this.queueOf(concertId).windowSeconds);
      }
      rows.set(userId, this.toRow(concertId, entry, null));
    }
    return rows;
  }

  async findLiveEntriesOfUser(_tx: Db, userId: string, concertIds: string[]): Promise<LiveEntryRow[]> {
    return concertIds.flatMap((concertId) => {
      const entry = this.liveEntry(concertId, userId);
      return entry ? [this.toRow(concertId, entry, null)] : [];
    });
  }

  async enterMany(
    _tx: Db,
    concertId: string,
    userIds: string[],
  ): Promise<Map<string, { created: boolean; entry: LiveEntryRow }>> {
    const queue = this.queues.get(concertId);
    const result = new Map<string, { created: boolean; entry: LiveEntryRow }>();
    if (!queue || queue.salesState !== 'ON_SALE') return result;
    for (const userId of userIds) {
      const existing = this.liveEntry(concertId, userId);
      if (existing) {
        result.set(userId, { created: false, entry: this.toRow(concertId, existing, null) });
        continue;
      }
      const entry: Entry = {
        userId,
        ticket: ++queue.lastTicket,
        status: 'WAITING',
        expiresAt: null,
        activatedAt: null,
        claimedAt: null,
        endedAt: null,
      };
      queue.entries.push(entry);
      this.refill(queue);
      const position = entry.status === 'WAITING' ? this.waitingPosition(queue, entry.ticket) : null;
      result.set(userId, { created: true, entry: this.toRow(concertId, entry, position) });
    }
    return result;
  }

  async leaveWhileWaiting(_tx: Db, concertId: string, userId: string): Promise<boolean> {
    const entry = this.liveEntry(concertId, userId);
    if (entry?.status !== 'WAITING') return false;
    entry.status = 'LEFT';
    entry.endedAt = this.now;
    this.queueOf(concertId).departed.add(entry.ticket);
    return true;
  }

  async readSnapshot(_tx: Db, concertId: string, _since: bigint): Promise<SnapshotRow | null> {
    const queue = this.queues.get(concertId);
    if (!queue) return null;
    const masks = new Map<number, bigint>();
    for (const ticket of queue.departed) {
      const bucket = Math.floor(ticket / 64);
      masks.set(bucket, (masks.get(bucket) ?? 0n) | (1n << BigInt(ticket % 64)));
    }
    return {
      lastTicket: queue.lastTicket,
      activatedCount: queue.activatedCount,
      activeCount: this.active(queue).length,
      capacity: queue.capacity,
      windowSeconds: queue.windowSeconds,
      horizon: 0n,
      asOf: this.now,
      buckets: [...masks].map(([bucket, mask]) => ({ bucket, mask })),
    };
  }

  async findSales(_tx: Db, concertId: string): Promise<ConcertSales | null> {
    const salesState = this.queues.get(concertId)?.salesState;
    return salesState === undefined
      ? null
      : { salesState, storedState: salesState, salesOpenAt: null, preQueueOpensAt: null };
  }

  /** Concerts here open at once: no pre-queue, so nothing to draw (draw_pre_queue has its own tests). */
  async openSalesForDraw(): Promise<OpeningResult> {
    return { outcome: 'NO_DRAW', tickets: null };
  }

  async drawPreQueue(): Promise<DrawResult> {
    return { outcome: 'NO_DRAW', entrants: null, admitted: null };
  }

  async findConcertsToDraw(): Promise<string[]> {
    return [];
  }

  async findDraw(): Promise<DrawRow | null> {
    return null;
  }

  async endEntriesAndRefill(
    _tx: Db,
    concertId: string,
    ending: EntriesToEnd,
    _options?: { lockWaitMs?: number },
  ): Promise<EndedEntries | null> {
    const queue = this.queues.get(concertId);
    if (!queue) return null;
    const toEnd =
      'userId' in ending
        ? [this.liveEntry(concertId, ending.userId)].filter((entry) => entry !== undefined)
        : this.active(queue).filter((entry) => entry.expiresAt! <= this.now);
    const counts: EndedEntries = { ended: 0, admitted: 0, expired: 0, noShow: 0, completed: 0 };
    for (const entry of toEnd) {
      if (entry.status === 'WAITING') queue.departed.add(entry.ticket);
      entry.status =
        entry.status === 'ACTIVE' && entry.endedAt !== null
          ? 'COMPLETED'
          : 'userId' in ending
            ? ending.status
            : entry.claimedAt === null
              ? 'NO_SHOW'
              : 'EXPIRED';
      entry.endedAt ??= this.now;
      counts.ended++;
      if (entry.status === 'EXPIRED') counts.expired++;
      if (entry.status === 'NO_SHOW') counts.noShow++;
      if (entry.status === 'COMPLETED') counts.completed++;
    }
    counts.admitted = this.refill(queue);
    return counts;
  }

  async endLapsedWindowsAndAdmit(tx: Db, concertId: string): Promise<EndedEntries | null> {
    return this.endEntriesAndRefill(tx, concertId, { lapsedWindows: true });
  }

  async findConcertsToSweep(_tx: Db, limit: number): Promise<string[]> {
    return [...this.queues]
      .filter(
        ([, queue]) =>
          this.active(queue).some((entry) => entry.expiresAt! <= this.now) ||
          (this.active(queue).length < queue.capacity && queue.entries.some((e) => e.status === 'WAITING')),
      )
      .map(([concertId]) => concertId)
      .slice(0, limit);
  }

  async countAdmissionsSince(_tx: Db, concertId: string, seconds: number, limit: number): Promise<number> {
    const since = this.now.getTime() - seconds * 1000;
    const admitted = this.queueOf(concertId).entries.filter(
      (entry) => entry.activatedAt !== null && entry.activatedAt.getTime() > since,
    ).length;
    return Math.min(admitted, limit);
  }

  /** As the SQL: a stored end, or an ACTIVE entry whose window (or claim time) lapsed unmarked. */
  async findLatestExit(
    _tx: Db,
    concertId: string,
    userId: string,
    withinSeconds: number,
  ): Promise<QueueExit | null> {
    const since = this.now.getTime() - withinSeconds * 1000;
    const exits = (this.queues.get(concertId)?.entries ?? [])
      .filter((entry) => entry.userId === userId)
      .map((entry) => ({ entry, endedAt: entry.endedAt ?? entry.expiresAt }))
      .filter(
        ({ entry, endedAt }) =>
          endedAt !== null &&
          endedAt.getTime() > since &&
          entry.status !== 'WAITING' &&
          (entry.status !== 'ACTIVE' || entry.expiresAt! <= this.now),
      );
    const latest = exits.at(-1);
    return latest ? { reason: exitReason(latest.entry), endedAt: latest.endedAt! } : null;
  }

  private queueOf(concertId: string): Queue {
    const queue = this.queues.get(concertId);
    if (!queue) throw new Error(`no concert ${concertId} in the fake`);
    return queue;
  }

  private liveEntry(concertId: string, userId: string): Entry | undefined {
    return this.queues
      .get(concertId)
      ?.entries.find(
        (entry) => entry.userId === userId && (entry.status === 'WAITING' || entry.status === 'ACTIVE'),
      );
  }

  private active(queue: Queue): Entry[] {
    return queue.entries.filter((entry) => entry.status === 'ACTIVE');
  }

  /** Admits waiting entries in ticket order while there is a free place; returns how many. */
  private refill(queue: Queue): number {
    let admitted = 0;
    for (const entry of queue.entries) {
      if (this.active(queue).length >= queue.capacity) break;
      if (entry.status !== 'WAITING') continue;
      entry.status = 'ACTIVE';
      entry.activatedAt = this.now;
      entry.expiresAt = this.after(queue.claimSeconds);
      queue.activatedCount++;
      admitted++;
    }
    return admitted;
  }

  private after(seconds: number): Date {
    return new Date(this.now.getTime() + seconds * 1000);
  }

  private waitingPosition(queue: Queue, ticket: number): number {
    const waitingAhead = queue.entries.filter((e) => e.status === 'WAITING' && e.ticket < ticket).length;
    return this.active(queue).length + waitingAhead + 1;
  }

  private toRow(concertId: string, entry: Entry, position: number | null): LiveEntryRow {
    const queue = this.queueOf(concertId);
    const activeRank = this.active(queue).filter((e) => e.ticket < entry.ticket).length + 1;
    return {
      entryId: `${concertId}:${entry.ticket}`,
      salesOpenAt: null,
      concertId,
      status: entry.status as 'WAITING' | 'ACTIVE',
      ticket: entry.ticket,
      expiresAt: entry.expiresAt,
      claimBy: entry.status === 'ACTIVE' && entry.claimedAt === null ? entry.expiresAt : null,
      windowOpen: entry.status === 'ACTIVE' && entry.expiresAt! > this.now,
      position: entry.status === 'ACTIVE' ? activeRank : position,
      capacity: queue.capacity,
      windowSeconds: queue.windowSeconds,
      asOf: this.now,
    };
  }
}

function exitReason(entry: Entry): QueueExitReason {
  if (entry.status === 'COMPLETED' || (entry.status === 'ACTIVE' && entry.endedAt !== null)) return 'PAID';
  if (entry.status === 'ACTIVE') return entry.claimedAt === null ? 'NO_SHOW' : 'EXPIRED';
  if (entry.status === 'WAITING') throw new Error('a waiting entry has not ended');
  return entry.status;
}
