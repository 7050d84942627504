import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { SalesState } from '../../generated/prisma/enums.js';
import { MAX_QUEUE_CAPACITY, MAX_QUEUE_WINDOW_SECONDS } from '../concert-limits.js';

/** At least one field; the service refuses an empty change. */
export class ChangeConcertSettingsDto {
  @ApiPropertyOptional({ enum: SalesState, enumName: 'SalesState', example: SalesState.PAUSED })
  @IsOptional()
  @IsEnum(SalesState)
  salesState?: SalesState;

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
}
