import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { ReservationStatus } from '../../generated/prisma/enums.js';
import type { HeldReservation } from '../reservations.repository.js';

export class HeldReservationResponse {
  @ApiProperty({
    format: 'uuid',
    description: 'Reservation id, for POST /payment',
    example: EXAMPLE.reservationId,
  })
  id!: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.seatId })
  seatId!: string;

  @ApiProperty({ enum: ReservationStatus, enumName: 'ReservationStatus', example: ReservationStatus.PENDING })
  status!: ReservationStatus;

  @ApiProperty({ format: 'date-time', description: 'Pay before this', example: EXAMPLE.expiresAt })
  expiresAt!: string;
}

export class HoldSeatsResponse {
  @ApiProperty({ type: [HeldReservationResponse], description: 'In the order of seatIds' })
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
