import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

/** The integer column's safe range; the configured POINTS_MAX_CHARGE is checked by the service. */
const LARGEST_AMOUNT = 2_000_000_000;

export class ChargePointsDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Points to add; at most POINTS_MAX_CHARGE (1000000 by default)',
    example: 10_000,
  })
  @IsInt()
  @Min(1)
  @Max(LARGEST_AMOUNT)
  amount!: number;
}
