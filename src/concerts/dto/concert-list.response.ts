import type { SalesState } from '../../generated/prisma/enums.js';
import type { ConcertListing } from '../concerts.service.js';
import type { QueueState } from '../queue-state-reader.js';
import { calendarDate } from './calendar-date.js';

export class ConcertQueueEntryResponse {
  concertId!: string;
  name!: string;
  venue!: string;
  /** YYYY-MM-DD of startsAt in UTC. */
  date!: string;
  startsAt!: string;
  salesState!: SalesState;
  /** The caller's queue fields are null when the caller is not in this concert's queue. */
  queuePosition!: number | null;
  status!: QueueState['status'] | null;
  estimatedWaitTime!: string | null;
}

export class ConcertListResponse {
  queueEntries!: ConcertQueueEntryResponse[];
}

export function toConcertListResponse(concerts: ConcertListing[]): ConcertListResponse {
  return {
    queueEntries: concerts.map((concert) => ({
      concertId: concert.id,
      name: concert.name,
      venue: concert.venue,
      date: calendarDate(concert.startsAt),
      startsAt: concert.startsAt.toISOString(),
      salesState: concert.salesState,
      queuePosition: concert.queue?.queuePosition ?? null,
      status: concert.queue?.status ?? null,
      estimatedWaitTime: concert.queue?.estimatedWaitTime ?? null,
    })),
  };
}
