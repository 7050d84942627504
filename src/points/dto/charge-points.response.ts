import { ApiProperty } from '@nestjs/swagger';
import type { ChargeResult } from '../points.service.js';

export class ChargePointsResponse {
  @ApiProperty({ type: 'integer', description: 'The balance after the charge', example: 15_000 })
  points!: number;

  @ApiProperty({ type: 'integer', example: 10_000 })
  chargeAmount!: number;
}

export function toChargePointsResponse(result: ChargeResult): ChargePointsResponse {
  return { points: result.balance, chargeAmount: result.charged };
}
