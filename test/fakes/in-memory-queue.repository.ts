import type { Db } from '../../src/prisma/transaction-runner.js';
import type {
  EntriesToEnd,
  LiveEntryRow,
  QueueRepository,
  SnapshotRow,
} from '../../src/queue/queue.repository.js';
import type { PublicOf } from './fake.js';

type EntryStatus = 'WAITING' | 'ACTIVE' | 'LEFT' | 'EXPIRED';

interface Entry {
  userId: string;
  ticket: number;
  status: EntryStatus;
  expiresAt: Date | null;
}

interface Queue {
  salesState: 'ON_SALE' | 'PAUSED' | 'CLOSED';
  capacity: number;
  windowSeconds: number;
  lastTicket: number;
  activatedCount: number;
  entries: Entry[];
  /** Tickets that left while waiting: the departures a snapshot counts. */
  departed: Set<number>;
  /** When each window ended, for the outflow. */
  windowsEndedAt: Date[];
}

/**
 * The queue rules of queue.repository.ts and end_queue_entries, in memory: tickets in order of
 * entry, admission in ticket order up to the capacity, windows judged by `now` (the database
 * clock), departures of waiting users counted for snapshots.
 */
export class InMemoryQueueRepository implements PublicOf<QueueRepository> {
  /** The database clock. */
  now = new Date('2026-01-01T10:00:00Z');
  private readonly queues = new Map<string, Queue>();

  addConcert(
    concertId: string,
    settings: { capacity: number; windowSeconds: number; salesState?: Queue['salesState'] },
  ): void {
    this.queues.set(concertId, {
      salesState: settings.salesState ?? 'ON_SALE',
      capacity: settings.capacity,
      windowSeconds: settings.windowSeconds,
      lastTicket: 0,
      activatedCount: 0,
      entries: [],
      departed: new Set(),
      windowsEndedAt: [],
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

  async findLiveEntries(_tx: Db, concertId: string, userIds: string[]): Promise<Map<string, LiveEntryRow>> {
    const rows = new Map<string, LiveEntryRow>();
    for (const userId of userIds) {
      const entry = this.liveEntry(concertId, userId);
      if (entry) rows.set(userId, this.toRow(concertId, entry, null));
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
      const entry: Entry = { userId, ticket: ++queue.lastTicket, status: 'WAITING', expiresAt: null };
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

  async findSalesState(_tx: Db, concertId: string): Promise<string | null> {
    return this.queues.get(concertId)?.salesState ?? null;
  }

  async endEntriesAndRefill(
    _tx: Db,
    concertId: string,
    ending: EntriesToEnd,
    _options?: { lockWaitMs?: number },
  ): Promise<{ ended: number; admitted: number } | null> {
    const queue = this.queues.get(concertId);
    if (!queue) return null;
    let ended = 0;
    if ('userId' in ending) {
      const entry = this.liveEntry(concertId, ending.userId);
      if (entry) {
        if (entry.status === 'WAITING') queue.departed.add(entry.ticket);
        else queue.windowsEndedAt.push(this.now);
        entry.status = 'LEFT';
        ended = 1;
      }
    } else {
      for (const entry of this.active(queue).filter((e) => e.expiresAt! <= this.now)) {
        entry.status = 'EXPIRED';
        queue.windowsEndedAt.push(this.now);
        ended++;
      }
    }
    return { ended, admitted: this.refill(queue) };
  }

  async endLapsedWindowsAndAdmit(tx: Db, concertId: string): Promise<void> {
    await this.endEntriesAndRefill(tx, concertId, { lapsedWindows: true });
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

  async countWindowsEndedSince(_tx: Db, concertId: string, seconds: number): Promise<number> {
    const since = this.now.getTime() - seconds * 1000;
    return this.queueOf(concertId).windowsEndedAt.filter((at) => at.getTime() >= since).length;
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
      entry.expiresAt = new Date(this.now.getTime() + queue.windowSeconds * 1000);
      queue.activatedCount++;
      admitted++;
    }
    return admitted;
  }

  private waitingPosition(queue: Queue, ticket: number): number {
    const waitingAhead = queue.entries.filter((e) => e.status === 'WAITING' && e.ticket < ticket).length;
    return this.active(queue).length + waitingAhead + 1;
  }

  private toRow(concertId: string, entry: Entry, position: number | null): LiveEntryRow {
    const queue = this.queueOf(concertId);
    const activeRank = this.active(queue).filter((e) => e.ticket < entry.ticket).length + 1;
    return {
      concertId,
      status: entry.status as 'WAITING' | 'ACTIVE',
      ticket: entry.ticket,
      expiresAt: entry.expiresAt,
      windowOpen: entry.status === 'ACTIVE' && entry.expiresAt! > this.now,
      position: entry.status === 'ACTIVE' ? activeRank : position,
      capacity: queue.capacity,
      windowSeconds: queue.windowSeconds,
      asOf: this.now,
    };
  }
}
