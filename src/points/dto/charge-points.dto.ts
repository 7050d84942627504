import { IsInt, Max, Min } from 'class-validator';

/** The integer column's safe range; the configured POINTS_MAX_CHARGE is checked by the service. */
const LARGEST_AMOUNT = 2_000_000_000;

export class ChargePointsDto {
  @IsInt()
  @Min(1)
  @Max(LARGEST_AMOUNT)
  amount!: number;
}
