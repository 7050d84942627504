import { randomUUID } from 'node:crypto';
import type {
  ConcertRow,
  ConcertSettingsChange,
  ConcertStatsRow,
  ConcertsRepository,
  ConcertWithSeatCount,
  NewConcert,
  NotInserted,
  SalesLock,
} from '../../src/concerts/concerts.repository.js';
import type { SeatPlan } from '../../src/concerts/seat-plan.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import type { PublicOf } from './fake.js';

interface StoredSeat {
  number: string;
  section: string;
  position: number;
  price: number;
  status: 'AVAILABLE' | 'HELD' | 'SOLD';
  heldUntil: Date | null;
}

/** concerts, seats and queues in memory, with a clock the test sets (the real one reads the database clock). */
export class InMemoryConcertsRepository implements PublicOf<ConcertsRepository> {
  readonly concerts = new Map<string, ConcertRow>();
  readonly seats = new Map<string, StoredSeat[]>();
  readonly queues = new Set<string>();
  /** Concerts whose pre-queue was drawn, and those someone has entered the queue of. */
  readonly drawn = new Set<string>();
  readonly entered = new Set<string>();
  now = new Date('2025-01-01T10:00:00Z');

  /** Arranges a concert directly, like the SQL fixtures of the e2e tests. */
  add(concert: Partial<ConcertRow> & { seats?: Partial<StoredSeat>[] } = {}): ConcertRow {
    const { seats = [{}], ...fields } = concert;
    const startsAt = fields.startsAt ?? new Date(this.now.getTime() + 86_400_000);
    const row: ConcertRow = {
      id: randomUUID(),
      name: 'Concert',
      venue: 'Hall',
      salesState: 'ON_SALE',
      queueCapacity: 5,
      queueWindowSeconds: 300,
      queueClaimSeconds: 30,
      salesOpenAt: null,
      preQueueOpensSeconds: 1800,
      ...fields,
      startsAt,
      salesCloseAt: fields.salesCloseAt ?? startsAt,
    };
    this.concerts.set(row.id, row);
    this.queues.add(row.id);
    this.seats.set(
      row.id,
      seats.map((seat, index) => ({
        number: `A${index + 1}`,
        section: 'A',
        position: index + 1,
        price: 1000,
        status: 'AVAILABLE',
        heldUntil: null,
        ...seat,
      })),
    );
    return row;
  }

  async insertUpcomingConcert(_tx: Tx, concert: NewConcert): Promise<ConcertRow | NotInserted> {
    if (concert.startsAt <= this.now) return 'STARTS_IN_PAST';
    if (concert.salesCloseAt && concert.salesCloseAt <= this.now) return 'SALES_CLOSE_IN_PAST';
    if (concert.salesOpenAt && concert.salesOpenAt <= this.now) return 'SALES_OPEN_IN_PAST';
    const { drawSeed: _seed, ...fields } = concert;
    const row: ConcertRow = {
      id: randomUUID(),
      salesState: 'ON_SALE',
      ...fields,
      salesCloseAt: concert.salesCloseAt ?? concert.startsAt,
    };
    this.concerts.set(row.id, row);
    return { ...row, salesState: this.salesStateNow(row) };
  }

  async lockSales(_tx: Tx, concertId: string): Promise<SalesLock | null> {
    const concert = this.concerts.get(concertId);
    if (!concert) return null;
    const ownCloseAt =
      concert.salesCloseAt.getTime() === concert.startsAt.getTime() ? null : concert.salesCloseAt;
    return {
      salesState: this.salesStateNow(concert),
      startsAt: concert.startsAt,
      salesCloseAt: ownCloseAt,
      salesOpenAt: concert.salesOpenAt,
      openingMovable:
        !this.drawn.has(concertId) && (concert.salesOpenAt !== null || !this.entered.has(concertId)),
      now: this.now,
    };
  }

  async closeSales(_tx: Tx, concertId: string): Promise<{ released: number; ended: number }> {
    const concert = this.concerts.get(concertId);
    if (!concert) return { released: 0, ended: 0 };
    concert.salesState = 'CLOSED';
    let released = 0;
    for (const seat of this.seats.get(concertId) ?? []) {
      if (seat.status !== 'HELD') continue;
      Object.assign(seat, { status: 'AVAILABLE', heldUntil: null });
      released++;
    }
    return { released, ended: 0 };
  }

  async findConcertsPastSalesClose(_tx: Tx, limit: number): Promise<string[]> {
    return [...this.concerts.values()]
      .filter((concert) => concert.salesState !== 'CLOSED' && concert.salesCloseAt <= this.now)
      .slice(0, limit)
      .map((concert) => concert.id);
  }

  async createQueue(_tx: Tx, concertId: string): Promise<void> {
    if (this.queues.has(concertId)) throw new Error(`queue of ${concertId} already exists`);
    this.queues.add(concertId);
  }

  async insertSeats(_tx: Tx, concertId: string, plan: SeatPlan): Promise<number> {
    const seats = plan.numbers.map((number, index) => ({
      number,
      section: plan.sections[index]!,
      position: index + 1,
      price: plan.prices[index]!,
      status: 'AVAILABLE' as const,
      heldUntil: null,
    }));
    this.seats.set(concertId, [...(this.seats.get(concertId) ?? []), ...seats]);
    return seats.length;
  }

  async findConcertStats(_tx: Tx, concertId: string): Promise<ConcertStatsRow | null> {
    const concert = this.concerts.get(concertId);
    if (!concert) return null;
    const seats = this.seats.get(concertId) ?? [];
    const salesState = this.salesStateNow(concert);
    const liveHold = (seat: StoredSeat) => seat.status === 'HELD' && seat.heldUntil! > this.now;
    return {
      ...concert,
      salesState,
      seatCount: seats.length,
      availableSeats: seats.filter(
        (seat) => seat.status === 'AVAILABLE' || (seat.status === 'HELD' && !liveHold(seat)),
      ).length,
      heldSeats: seats.filter(liveHold).length,
      soldSeats: seats.filter((seat) => seat.status === 'SOLD').length,
      revenue: seats.filter((seat) => seat.status === 'SOLD').reduce((sum, seat) => sum + seat.price, 0),
      queueLength: 0,
      activeUsers: 0,
      admittedLastMinute: 0,
      preQueueLength: 0,
      drawnAt: null,
    };
  }

  async changeConcertSettings(
    _tx: Tx,
    concertId: string,
    change: ConcertSettingsChange,
  ): Promise<ConcertWithSeatCount | null> {
    const concert = this.concerts.get(concertId);
    if (!concert) return null;
    concert.salesState = change.salesState ?? concert.salesState;
    concert.salesCloseAt = change.salesCloseAt ?? concert.salesCloseAt;
    concert.queueCapacity = change.queueCapacity ?? concert.queueCapacity;
    concert.queueWindowSeconds = change.queueWindowSeconds ?? concert.queueWindowSeconds;
    concert.queueClaimSeconds = change.queueClaimSeconds ?? concert.queueClaimSeconds;
    concert.salesOpenAt = change.salesOpenAt ?? concert.salesOpenAt;
    concert.preQueueOpensSeconds = change.preQueueOpensSeconds ?? concert.preQueueOpensSeconds;
    return {
      ...concert,
      salesState: this.salesStateNow(concert),
      seatCount: this.seats.get(concertId)?.length ?? 0,
    };
  }

  async listUpcomingOnSaleOrPaused(): Promise<ConcertRow[]> {
    return this.upcoming(['UPCOMING', 'ON_SALE', 'PAUSED']);
  }

  async listAllWithSeatCount(): Promise<ConcertWithSeatCount[]> {
    return [...this.concerts.values()]
      .sort((a, b) => b.startsAt.getTime() - a.startsAt.getTime() || a.id.localeCompare(b.id))
      .map((concert) => ({
        ...concert,
        salesState: this.salesStateNow(concert),
        seatCount: this.seats.get(concert.id)?.length ?? 0,
      }));
  }

  async listUpcomingWithAvailableSeats(): Promise<ConcertRow[]> {
    return this.upcoming(['ON_SALE']).filter((concert) =>
      (this.seats.get(concert.id) ?? []).some(
        (seat) => seat.status === 'AVAILABLE' || (seat.status === 'HELD' && seat.heldUntil! <= this.now),
      ),
    );
  }

  /** As sales_state_now: CLOSED once the close time has passed, whatever is stored; UPCOMING until drawn. */
  private salesStateNow(concert: ConcertRow): ConcertRow['salesState'] {
    if (concert.salesCloseAt <= this.now) return 'CLOSED';
    if (concert.salesOpenAt && !this.drawn.has(concert.id) && concert.salesState !== 'CLOSED')
      return 'UPCOMING';
    return concert.salesState;
  }

  private upcoming(states: ConcertRow['salesState'][]): ConcertRow[] {
    return [...this.concerts.values()]
      .filter((concert) => states.includes(this.salesStateNow(concert)))
      .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.id.localeCompare(b.id))
      .map((concert) => ({ ...concert }));
  }
}
