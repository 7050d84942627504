import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';
import { DepartureIndex } from './departure-index.js';
import { waitingPosition } from './queue-position.js';
import { QueueRepository } from './queue.repository.js';

/** A snapshot this old is refreshed in the background by the next poll, which still answers from it. */
export const SNAPSHOT_REFRESH_MS = 250;
/** A snapshot older than this never answers: the poll waits for the refresh. */
export const SNAPSHOT_MAX_AGE_MS = 500;
/** Concerts whose snapshot a replica keeps; the least recently used is dropped beyond this. */
const MAX_CONCERTS = 1_000;

/** A concert's queue as of one read: counters plus every departure, enough for any waiting position. */
export class QueueSnapshot {
  lastTicket = 0;
  activatedCount = 0;
  activeCount = 0;
  capacity = 1;
  windowSeconds = 1;
  /** The database clock when the counters were read. */
  asOf = new Date(0);
  /** Local clock (ms) of the read, for the age check. */
  readAt = 0;
  horizon = 0n;
  readonly departures = new DepartureIndex();

  /** Ticket t's position if it is still waiting as of this snapshot; null if admitted, departed or unknown. */
  positionOf(ticket: number): number | null {
    if (ticket > this.lastTicket) return null;
    return waitingPosition({
      ticket,
      activeCount: this.activeCount,
      activatedCount: this.activatedCount,
      departedBelow: this.departures.departedBelow(ticket),
      departed: this.departures.hasDeparted(ticket),
    });
  }
}

interface Slot {
  snapshot: QueueSnapshot | null;
  /** The read in flight; every poll that needs a fresher snapshot waits for this one. */
  refreshing: Promise<QueueSnapshot | null> | null;
  /** Local clock (ms) when the read in flight started. */
  refreshStartedAt: number;
}

/**
 * Per replica and per concert, the snapshot that waiting positions are computed from,
 * shared by every poll of the concert in this replica. A poll that finds it SNAPSHOT_REFRESH_MS
 * old starts one bounded read (QueueRepository.readSnapshot) and still answers from it; a poll
 * that finds it older than SNAPSHOT_MAX_AGE_MS, or not knowing the ticket it needs, waits for
 * that read. Reads never overlap per concert. The first read of a concert
 * loads all its departure buckets (one row per 64 tickets with a departure); later reads only
 * the buckets changed since, so their cost follows the departures, not the queue's length.
 */
@Injectable()
export class QueueSnapshots {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: QueueRepository,
  ) {}

  /**
   * The concert's snapshot at most SNAPSHOT_MAX_AGE_MS old (measured from the start of its read)
   * that knows `ticket`. Null when the concert has no queue.
   */
  async get(concertId: string, ticket = 0): Promise<QueueSnapshot | null> {
    const slot = this.slotOf(concertId);
    /** Local ms a read must have started at or after: set once a read turned out to predate the ticket. */
    let notBefore = 0;
    // Bounded: a ticket the queue never issued (its counters reset by hand) is not waited for.
    for (let attempt = 0; attempt < 4; attempt++) {
      const fresh = this.freshIn(concertId, slot, ticket, notBefore);
      if (fresh) return fresh;
      if (slot.refreshing && slot.refreshStartedAt >= notBefore) {
        const refreshed = await slot.refreshing;
        if (!refreshed || refreshed.lastTicket >= ticket) return refreshed;
        // That read started before the ticket was taken: one more, started after.
        notBefore = Math.max(notBefore, refreshed.readAt + 1);
        continue;
      }
      if (slot.refreshing) {
        await slot.refreshing.catch(() => undefined);
        continue;
      }
      // Started now, so it knows every ticket taken before this call.
      return this.refresh(concertId, slot);
    }
    return slot.snapshot;
  }

  /**
   * The concert's snapshot when it is fresh enough (SNAPSHOT_MAX_AGE_MS) and knows `ticket`,
   * without waiting: null otherwise. For the steady poll, which answers synchronously or not at all.
   */
  peek(concertId: string, ticket: number): QueueSnapshot | null {
    return this.freshIn(concertId, this.slotOf(concertId), ticket, 0);
  }

  private freshIn(concertId: string, slot: Slot, ticket: number, notBefore: number): QueueSnapshot | null {
    const snapshot = slot.snapshot;
    if (
      !snapshot ||
      snapshot.lastTicket < ticket ||
      snapshot.readAt < notBefore ||
      Date.now() - snapshot.readAt > SNAPSHOT_MAX_AGE_MS
    ) {
      return null;
    }
    // Refreshed ahead, so that under steady polling no poll waits for a read.
    if (!slot.refreshing && Date.now() - snapshot.readAt >= SNAPSHOT_REFRESH_MS) {
      this.refresh(concertId, slot).catch(() => undefined);
    }
    return snapshot;
  }

  private slotOf(concertId: string): Slot {
    let slot = this.slots.get(concertId);
    if (slot) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.slots.delete(concertId);
    } else {
      slot = { snapshot: null, refreshing: null, refreshStartedAt: 0 };
      if (this.slots.size >= MAX_CONCERTS) this.slots.delete(this.slots.keys().next().value!);
    }
    this.slots.set(concertId, slot);
    return slot;
  }

  private refresh(concertId: string, slot: Slot): Promise<QueueSnapshot | null> {
    const startedAt = Date.now();
    const snapshot = slot.snapshot ?? new QueueSnapshot();
    const reading = this.repo.readSnapshot(this.prisma, concertId, snapshot.horizon).then((row) => {
      if (!row) {
        slot.snapshot = null;
        return null;
      }
      // Applied in one synchronous step: no poll sees counters and departures of different reads.
      for (const { bucket, mask } of row.buckets) snapshot.departures.setBucket(bucket, mask);
      snapshot.lastTicket = row.lastTicket;
      snapshot.activatedCount = row.activatedCount;
      snapshot.activeCount = row.activeCount;
      snapshot.capacity = row.capacity;
      snapshot.windowSeconds = row.windowSeconds;
      snapshot.asOf = row.asOf;
      snapshot.horizon = row.horizon;
      snapshot.readAt = startedAt;
      slot.snapshot = snapshot;
      return snapshot;
    });
    slot.refreshing = reading;
    slot.refreshStartedAt = startedAt;
    const settle = () => {
      if (slot.refreshing === reading) slot.refreshing = null;
    };
    reading.then(settle, settle);
    return reading;
  }
}
