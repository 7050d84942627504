import { calendarDate } from '../../concerts/dto/calendar-date.js';
import { ApiProperty, IntersectionType, PickType } from '@nestjs/swagger';
import { AvailableDateResponse } from '../../concerts/dto/available-dates.response.js';
import { ConcertResponse } from '../../concerts/dto/concert.response.js';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { SeatStatus } from '../../generated/prisma/enums.js';
import type { SeatMap } from '../reservations.service.js';
import { PaginationResponse, toPaginationResponse } from '../../common/http/pagination.js';

export class SeatResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.seatId })
  id!: string;

  @ApiProperty({ example: EXAMPLE.seatNumber })
  number!: string;

  @ApiProperty({ example: 'A' })
  section!: string;

  /** AVAILABLE also for a hold that has expired but is not swept yet. */
  @ApiProperty({
    enum: SeatStatus,
    enumName: 'SeatStatus',
    description: 'AVAILABLE also for a hold that has lapsed',
    example: SeatStatus.AVAILABLE,
  })
  status!: SeatStatus;

  @ApiProperty({ type: 'integer', description: 'In points', example: EXAMPLE.seatPrice })
  price!: number;

  @ApiProperty({ description: 'You hold this seat (unexpired) or bought it', example: false })
  mine!: boolean;
}

/** The concert's fields as in GET /admin/concerts, and its date as in GET /reservation/available-dates. */
export class ConcertInfoResponse extends IntersectionType(
  PickType(ConcertResponse, ['id', 'name', 'venue', 'startsAt'] as const),
  PickType(AvailableDateResponse, ['date'] as const),
) {}

export class SeatMapResponse {
  @ApiProperty({ type: [SeatResponse] })
  seats!: SeatResponse[];

  @ApiProperty({ type: PaginationResponse })
  pagination!: PaginationResponse;

  @ApiProperty({ type: ConcertInfoResponse })
  concertInfo!: ConcertInfoResponse;
}

/**
 * The body of a SeatMapResponse, as JSON text: the seats go in as the database wrote them. A
 * seat page is the commonest request of a rush, and parsing a hundred seats only to serialize
 * them again cost more CPU than the rest of the response.
 */
export function seatMapResponseJson(map: SeatMap): string {
  const concertInfo: ConcertInfoResponse = {
    id: map.concert.id,
    name: map.concert.name,
    venue: map.concert.venue,
    date: calendarDate(map.concert.startsAt),
    startsAt: map.concert.startsAt.toISOString(),
  };
  return `{"seats":${map.seatsJson},"pagination":${JSON.stringify(toPaginationResponse(map))},"concertInfo":${JSON.stringify(concertInfo)}}`;
}
