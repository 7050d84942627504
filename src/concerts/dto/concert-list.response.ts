import { ApiProperty, PickType } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { SalesState } from '../../generated/prisma/enums.js';
import type { ConcertListing } from '../concerts.service.js';
import type { QueueState } from '../queue-state-reader.js';
import { AvailableDateResponse } from './available-dates.response.js';
import { calendarDate } from './calendar-date.js';

export class ConcertQueueEntryResponse extends PickType(AvailableDateResponse, [
  'concertId',
  'name',
  'venue',
  'date',
  'startsAt',
] as const) {
  @ApiProperty({ enum: SalesState, enumName: 'SalesState', example: SalesState.ON_SALE })
  salesState!: SalesState;

  @ApiProperty({
    format: 'date-time',
    description:
      'When sales close by themselves (salesCloseAt, else startsAt): no entry, hold or payment after it',
    example: EXAMPLE.startsAt,
  })
  salesCloseAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When sales open (UPCOMING until then); null: they opened at once',
    example: null,
  })
  salesOpenAt!: string | null;

  /** The caller's queue fields are null when the caller is not in this concert's queue. */
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "The caller's place; null when not in this concert's queue, or in its pre-queue",
    example: 42,
  })
  queuePosition!: number | null;

  @ApiProperty({ enum: ['PRE_QUEUE', 'ACTIVE', 'WAITING'], nullable: true, example: 'WAITING' })
  status!: QueueState['status'] | null;

  @ApiProperty({ type: String, nullable: true, description: 'null while active', example: '10 minutes' })
  estimatedWaitTime!: string | null;
}

export class ConcertListResponse {
  @ApiProperty({ type: [ConcertQueueEntryResponse] })
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
      salesCloseAt: concert.salesCloseAt.toISOString(),
      salesOpenAt: concert.salesOpenAt?.toISOString() ?? null,
      queuePosition: concert.queue?.queuePosition ?? null,
      status: concert.queue?.status ?? null,
      estimatedWaitTime: concert.queue?.estimatedWaitTime ?? null,
    })),
  };
}
