export class PointsBalanceResponse {
  points!: number;
}

export function toPointsBalanceResponse(balance: number): PointsBalanceResponse {
  return { points: balance };
}
