import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import type { ConcertRow } from '../concerts.repository.js';
import { calendarDate } from './calendar-date.js';

export class AvailableDateResponse {
  /** YYYY-MM-DD of startsAt in UTC. */
  @ApiProperty({ format: 'date', description: 'YYYY-MM-DD of startsAt in UTC', example: EXAMPLE.date })
  date!: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.concertId })
  concertId!: string;

  @ApiProperty({ example: EXAMPLE.concertName })
  name!: string;

  @ApiProperty({ example: EXAMPLE.venue })
  venue!: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.startsAt })
  startsAt!: string;
}

export class AvailableDatesResponse {
  @ApiProperty({ type: [AvailableDateResponse] })
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
