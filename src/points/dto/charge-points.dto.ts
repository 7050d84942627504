import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Min } from 'class-validator';

export class ChargePointsDto {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'Points to add; at most POINTS_MAX_CHARGE (1000000 by default)',
    example: 10_000,
  })
  // No @Max here: the limit is configuration (POINTS_MAX_CHARGE), so the service checks it
  // and answers INVALID_AMOUNT with the limit that applies.
  @IsInt()
  @Min(1)
  amount!: number;
}
