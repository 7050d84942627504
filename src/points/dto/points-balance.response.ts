import { ApiProperty } from '@nestjs/swagger';

export class PointsBalanceResponse {
  @ApiProperty({ type: 'integer', example: 5_000 })
  points!: number;
}

export function toPointsBalanceResponse(balance: number): PointsBalanceResponse {
  return { points: balance };
}
