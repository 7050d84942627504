import type { ChargeResult } from '../points.service.js';

export class ChargePointsResponse {
  points!: number;
  chargeAmount!: number;
}

export function toChargePointsResponse(result: ChargeResult): ChargePointsResponse {
  return { points: result.balance, chargeAmount: result.charged };
}
