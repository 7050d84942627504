import type { SalesState } from '../../generated/prisma/enums.js';
import type { ConcertStatsRow, ConcertWithSeatCount } from '../concerts.repository.js';

export class ConcertResponse {
  id!: string;
  name!: string;
  venue!: string;
  startsAt!: string;
  salesState!: SalesState;
  queueCapacity!: number;
  queueWindowSeconds!: number;
  seatCount!: number;
}

export function toConcertResponse(concert: ConcertWithSeatCount): ConcertResponse {
  return {
    id: concert.id,
    name: concert.name,
    venue: concert.venue,
    startsAt: concert.startsAt.toISOString(),
    salesState: concert.salesState,
    queueCapacity: concert.queueCapacity,
    queueWindowSeconds: concert.queueWindowSeconds,
    seatCount: concert.seatCount,
  };
}

export class ConcertStatsResponse extends ConcertResponse {
  /** `available` includes holds that have expired but are not swept yet. */
  seatCounts!: { available: number; held: number; sold: number };
  /** Entries still WAITING. */
  queueLength!: number;
  /** ACTIVE entries whose window has not expired. */
  activeUsers!: number;
}

export function toConcertStatsResponse(stats: ConcertStatsRow): ConcertStatsResponse {
  return {
    ...toConcertResponse(stats),
    seatCounts: { available: stats.availableSeats, held: stats.heldSeats, sold: stats.soldSeats },
    queueLength: stats.queueLength,
    activeUsers: stats.activeUsers,
  };
}
