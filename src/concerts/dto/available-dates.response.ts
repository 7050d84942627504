import type { ConcertRow } from '../concerts.repository.js';
import { calendarDate } from './calendar-date.js';

export class AvailableDateResponse {
  /** YYYY-MM-DD of startsAt in UTC. */
  date!: string;
  concertId!: string;
  name!: string;
  venue!: string;
  startsAt!: string;
}

export class AvailableDatesResponse {
  availableDates!: AvailableDateResponse[];
}

export function toAvailableDatesResponse(concerts: ConcertRow[]): AvailableDatesResponse {
  return {
    availableDates: concerts.map((concert) => ({
      date: calendarDate(concert.startsAt),
      concertId: concert.id,
      name: concert.name,
      venue: concert.venue,
      startsAt: concert.startsAt.toISOString(),
    })),
  };
}
