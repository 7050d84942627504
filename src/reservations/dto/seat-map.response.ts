import { calendarDate } from '../../concerts/dto/calendar-date.js';
import type { SeatStatus } from '../../generated/prisma/enums.js';
import type { SeatMap } from '../reservations.service.js';
import { toPaginationResponse, type PaginationResponse } from './pagination.response.js';

export class SeatResponse {
  id!: string;
  number!: string;
  section!: string;
  /** AVAILABLE also for a hold that has expired but is not swept yet. */
  status!: SeatStatus;
  price!: number;
}

export class ConcertInfoResponse {
  id!: string;
  name!: string;
  venue!: string;
  /** YYYY-MM-DD of startsAt in UTC, as in GET /reservation/available-dates. */
  date!: string;
  startsAt!: string;
}

export class SeatMapResponse {
  seats!: SeatResponse[];
  pagination!: PaginationResponse;
  concertInfo!: ConcertInfoResponse;
}

export function toSeatMapResponse(map: SeatMap): SeatMapResponse {
  return {
    seats: map.seats.map((seat) => ({
      id: seat.id,
      number: seat.number,
      section: seat.section,
      status: seat.status,
      price: seat.price,
    })),
    pagination: toPaginationResponse(map),
    concertInfo: {
      id: map.concert.id,
      name: map.concert.name,
      venue: map.concert.venue,
      date: calendarDate(map.concert.startsAt),
      startsAt: map.concert.startsAt.toISOString(),
    },
  };
}
