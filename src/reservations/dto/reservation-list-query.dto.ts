import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../../common/http/pagination.js';
import { ReservationStatus } from '../../generated/prisma/enums.js';

export class ReservationListQueryDto extends PageQuery({ defaultLimit: 20, maxLimit: 100 }) {
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
