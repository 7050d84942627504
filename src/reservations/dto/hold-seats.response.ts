import type { ReservationStatus } from '../../generated/prisma/enums.js';
import type { HeldReservation } from '../reservations.repository.js';

export class HeldReservationResponse {
  id!: string;
  seatId!: string;
  status!: ReservationStatus;
  expiresAt!: string;
}

export class HoldSeatsResponse {
  reservations!: HeldReservationResponse[];
}

export function toHoldSeatsResponse(holds: HeldReservation[]): HoldSeatsResponse {
  return {
    reservations: holds.map((hold) => ({
      id: hold.id,
      seatId: hold.seatId,
      status: hold.status,
      expiresAt: hold.expiresAt.toISOString(),
    })),
  };
}
