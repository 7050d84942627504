import { IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { SalesState } from '../../generated/prisma/enums.js';
import { MAX_QUEUE_CAPACITY, MAX_QUEUE_WINDOW_SECONDS } from '../concert-limits.js';

/** At least one field; the service refuses an empty change. */
export class ChangeConcertSettingsDto {
  @IsOptional()
  @IsEnum(SalesState)
  salesState?: SalesState;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_CAPACITY)
  queueCapacity?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_QUEUE_WINDOW_SECONDS)
  queueWindowSeconds?: number;
}
