import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';

/** The caller's place in one concert's queue. */
export class QueueEntryResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.userId })
  userId!: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.concertId })
  concertId!: string;

  /** 1-based; positions 1..capacity are ACTIVE. Null in the pre-queue. */
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    nullable: true,
    description:
      '1-based; positions 1..capacity are ACTIVE. Null in the pre-queue: places are drawn at the opening',
    example: 42,
  })
  queuePosition!: number | null;

  @ApiProperty({
    enum: ['PRE_QUEUE', 'ACTIVE', 'WAITING'],
    description:
      'ACTIVE: the window is open until expiresAt (the answer that first shows ACTIVE claims the place, and the ' +
      'full window starts then). WAITING: poll after retryAfterMs. ' +
      'PRE_QUEUE: entered before the opening; poll after retryAfterMs, shortly after salesOpenAt, for the drawn place',
    example: 'WAITING',
  })
  status!: 'PRE_QUEUE' | 'ACTIVE' | 'WAITING';

  /** Human-readable ("10 minutes"); null while active. */
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'For people; null while active',
    example: '10 minutes',
  })
  estimatedWaitTime!: string | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null while active', example: 600 })
  estimatedWaitSeconds!: number | null;

  /** End of the active window (ISO 8601); null while waiting. */
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of the active window; null while waiting',
    example: null,
  })
  expiresAt!: string | null;

  /** ACTIVE but not claimed yet: the place lapses (NO_SHOW) unless a request claims it by then. */
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'ACTIVE and not claimed yet: the place lapses as NO_SHOW unless the seat map, a hold or a poll of this ' +
      'route claims it by then (the window then starts). Null once claimed, and while waiting',
    example: null,
  })
  claimBy!: string | null;

  /** Poll again after this many milliseconds (also sent as Retry-After). */
  @ApiProperty({
    type: 'integer',
    description:
      'Poll again after this many milliseconds (also sent as Retry-After, in seconds): about 1000 near the front, ' +
      'up to 60000 far back; while ACTIVE, never past the end of the window',
    example: 12_000,
  })
  retryAfterMs!: number;

  /**
   * When the answer was true (ISO 8601): a waiting position comes from a per-server snapshot
   * of the queue (refreshed every 250 ms, at most 500 ms old), so it may lag the queue by that much, never more.
   */
  @ApiProperty({
    type: String,
    format: 'date-time',
    description:
      'The database time the answer is true at: a WAITING position comes from a snapshot at most 500 ms old (usually under 250 ms)',
    example: '2026-12-04T18:00:00.000Z',
  })
  asOf!: string;

  /** Send it back in a `Queue-Ticket` header on polls: any server then answers without reading your entry. */
  @ApiProperty({
    description:
      'Your place, signed for you and this concert. Send it back in a Queue-Ticket header when polling: ' +
      'any server then answers from its snapshot. Optional; polls without it are answered too',
    type: String,
    nullable: true,
    example: '1042.3q2-7wAAAAAAAAAAAAAAAA',
  })
  queueTicket!: string | null;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Your entry id, on answers that read your entry (entering, the pre-queue, the first poll after the draw, ACTIVE): ' +
      'the draw orders entries by it, so keep it to find your place in GET /concerts/{concertId}/draw',
    example: EXAMPLE.entryId,
  })
  entryId?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: "The concert's opening, on answers that read your entry; null when its sales opened at once",
    example: '2030-07-01T10:00:00.000Z',
  })
  salesOpenAt?: string | null;
}
