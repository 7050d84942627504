import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { SalesState } from '../../generated/prisma/enums.js';
import type { ConcertRow, ConcertStatsRow, ConcertWithSeatCount } from '../concerts.repository.js';

export class ConcertResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.concertId })
  id!: string;

  @ApiProperty({ example: EXAMPLE.concertName })
  name!: string;

  @ApiProperty({ example: EXAMPLE.venue })
  venue!: string;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.startsAt })
  startsAt!: string;

  @ApiProperty({
    enum: SalesState,
    enumName: 'SalesState',
    description: 'As of now: CLOSED once salesCloseAt has passed',
    example: SalesState.ON_SALE,
  })
  salesState!: SalesState;

  @ApiProperty({
    format: 'date-time',
    description: 'When sales close by themselves: the salesCloseAt given, else startsAt',
    example: EXAMPLE.startsAt,
  })
  salesCloseAt!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When sales open, after the pre-queue and its draw; null: they opened at once',
    example: null,
  })
  salesOpenAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'From when entries go to the pre-queue (salesOpenAt − preQueueOpensSeconds); null without salesOpenAt',
    example: null,
  })
  preQueueOpensAt!: string | null;

  @ApiProperty({
    type: 'integer',
    description: 'How long before salesOpenAt the pre-queue opens',
    example: 1800,
  })
  preQueueOpensSeconds!: number;

  @ApiProperty({ type: 'integer', description: 'Users with an active window at once', example: 5 })
  queueCapacity!: number;

  @ApiProperty({ type: 'integer', description: 'Length of an active window', example: 300 })
  queueWindowSeconds!: number;

  @ApiProperty({
    type: 'integer',
    description: 'How long an admitted user has to show up before the place goes to the next',
    example: 30,
  })
  queueClaimSeconds!: number;

  @ApiProperty({ type: 'integer', example: 50 })
  seatCount!: number;
}

/** From when entries go to the pre-queue; null for a concert that opened at once. */
export function preQueueOpensAt(
  concert: Pick<ConcertRow, 'salesOpenAt' | 'preQueueOpensSeconds'>,
): Date | null {
  return concert.salesOpenAt && new Date(concert.salesOpenAt.getTime() - concert.preQueueOpensSeconds * 1000);
}

export function toConcertResponse(concert: ConcertWithSeatCount): ConcertResponse {
  return {
    id: concert.id,
    name: concert.name,
    venue: concert.venue,
    startsAt: concert.startsAt.toISOString(),
    salesState: concert.salesState,
    salesCloseAt: concert.salesCloseAt.toISOString(),
    salesOpenAt: concert.salesOpenAt?.toISOString() ?? null,
    preQueueOpensAt: preQueueOpensAt(concert)?.toISOString() ?? null,
    preQueueOpensSeconds: concert.preQueueOpensSeconds,
    queueCapacity: concert.queueCapacity,
    queueWindowSeconds: concert.queueWindowSeconds,
    queueClaimSeconds: concert.queueClaimSeconds,
    seatCount: concert.seatCount,
  };
}

export class SeatCountsResponse {
  /** Includes holds that have expired but are not swept yet. */
  @ApiProperty({ type: 'integer', description: 'Includes holds that have lapsed', example: 40 })
  available!: number;

  @ApiProperty({ type: 'integer', example: 2 })
  held!: number;

  @ApiProperty({ type: 'integer', example: 8 })
  sold!: number;
}

export class ConcertListAdminResponse {
  @ApiProperty({ type: [ConcertResponse] })
  concerts!: ConcertResponse[];
}

export function toConcertListAdminResponse(concerts: ConcertWithSeatCount[]): ConcertListAdminResponse {
  return { concerts: concerts.map(toConcertResponse) };
}

export class ConcertStatsResponse extends ConcertResponse {
  @ApiProperty({ type: SeatCountsResponse })
  seatCounts!: SeatCountsResponse;

  /** Entries still WAITING. */
  @ApiProperty({ type: 'integer', description: 'Users still waiting', example: 37 })
  queueLength!: number;

  /** ACTIVE entries whose window has not expired. */
  @ApiProperty({ type: 'integer', description: 'Users whose window is open', example: 5 })
  activeUsers!: number;

  @ApiProperty({ type: 'integer', description: 'Windows opened in the last 60 seconds', example: 12 })
  admittedLastMinute!: number;

  @ApiProperty({ type: 'integer', description: 'Points paid for the sold seats', example: 400_000 })
  revenue!: number;

  @ApiProperty({ type: 'integer', description: 'Users in the pre-queue, waiting for the draw', example: 0 })
  preQueueLength!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the pre-queue was drawn; null before (or without a salesOpenAt)',
    example: null,
  })
  drawnAt!: string | null;
}

export function toConcertStatsResponse(stats: ConcertStatsRow): ConcertStatsResponse {
  return {
    ...toConcertResponse(stats),
    seatCounts: { available: stats.availableSeats, held: stats.heldSeats, sold: stats.soldSeats },
    queueLength: stats.queueLength,
    activeUsers: stats.activeUsers,
    admittedLastMinute: stats.admittedLastMinute,
    revenue: stats.revenue,
    preQueueLength: stats.preQueueLength,
    drawnAt: stats.drawnAt?.toISOString() ?? null,
  };
}
