import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/http/pagination.js';
import { SeatStatus } from '../../generated/prisma/enums.js';

/** A seat page's size when none is asked for, and the largest. */
export const SEAT_PAGE_LIMITS = { defaultLimit: 100, maxLimit: 500 } as const;

export class SeatMapQueryDto extends PageQuery(SEAT_PAGE_LIMITS) {
  /** As the seat map shows it: a seat whose hold has lapsed is AVAILABLE. */
  @ApiPropertyOptional({
    enum: SeatStatus,
    enumName: 'SeatStatus',
    description:
      'Only seats in this state (a seat whose hold has lapsed is AVAILABLE); pagination counts these',
  })
  @IsOptional()
  @IsIn(Object.values(SeatStatus))
  status?: SeatStatus;
}
