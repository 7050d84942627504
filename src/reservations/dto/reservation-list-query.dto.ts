import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ReservationStatus } from '../../generated/prisma/enums.js';

export class ReservationListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** As the user sees it: a PENDING reservation past its expiry is EXPIRED. */
  @ApiPropertyOptional({
    enum: ReservationStatus,
    enumName: 'ReservationStatus',
    description: 'A PENDING reservation past its expiry counts as EXPIRED',
  })
  @IsOptional()
  @IsIn(Object.values(ReservationStatus))
  status?: ReservationStatus;
}
