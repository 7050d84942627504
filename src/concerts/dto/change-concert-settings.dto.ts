import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { SalesState } from '../../generated/prisma/enums.js';
import {
  MAX_PRE_QUEUE_OPENS_SECONDS,
  MAX_QUEUE_CAPACITY,
  MAX_QUEUE_CLAIM_SECONDS,
  MAX_QUEUE_WINDOW_SECONDS,
} from '../concert-limits.js';
import { IsZonedDateTime } from './create-concert.dto.js';

/** At least one field; the service refuses an empty change. */
export class ChangeConcertSettingsDto {
  @ApiPropertyOptional({
    enum: SalesState,
    enumName: 'SalesState',
    description:
      'PAUSED: no entry, admission or new hold; holds already made can be paid. CLOSED: final; ' +
      'every unpaid hold is released and every queue place ended at once.',
    example: SalesState.PAUSED,
  })
  @IsOptional()
  @IsEnum(SalesState)
  salesState?: SalesState;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When sales close by themselves: in the future and not after startsAt, with a time zone offset',
    example: '2030-07-15T12:00:00+09:00',
  })
  @IsOptional()
  @IsZonedDateTime('salesCloseAt')
  salesCloseAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'When sales open: in the future, before the sales close, with a time zone offset. Until then the ' +
      'concert is UPCOMING and entries from preQueueOpensSeconds before go to a pre-queue, drawn in a ' +
      'random, auditable order at the opening. Only before the opening and before anyone has queued.',
    example: '2030-07-01T10:00:00+09:00',
  })
  @IsOptional()
  @IsZonedDateTime('salesOpenAt')
  salesOpenAt?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: MAX_PRE_QUEUE_OPENS_SECONDS,
    description: 'How long before salesOpenAt the pre-queue takes entries; default PRE_QUEUE_OPENS_SECONDS',
    example: 1800,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_PRE_QUEUE_OPENS_SECONDS)
  preQueueOpensSeconds?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_QUEUE_CAPACITY, example: 10 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_CAPACITY)
  queueCapacity?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_QUEUE_WINDOW_SECONDS, example: 300 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_WINDOW_SECONDS)
  queueWindowSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_QUEUE_CLAIM_SECONDS,
    description: 'How long an admitted user has to show up; applies to the next admissions',
    example: 30,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_CLAIM_SECONDS)
  queueClaimSeconds?: number;
}
