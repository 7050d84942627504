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

  @ApiProperty({
    type: 'integer',
    description: 'In points: what paying this reservation costs',
    example: EXAMPLE.seatPrice,
  })
  price!: number;

  @ApiProperty({ format: 'date-time', description: 'Pay before this', example: EXAMPLE.expiresAt })
  expiresAt!: string;
}

export class HoldSeatsResponse {
  @ApiProperty({ type: [HeldReservationResponse], description: 'In the order of seatIds' })
  reservations!: HeldReservationResponse[];

  @ApiProperty({
    type: 'integer',
    description: 'In points: the sum of the prices, what POST /payment with these reservations costs',
    example: 2 * EXAMPLE.seatPrice,
  })
  totalAmount!: number;

  @ApiProperty({
    format: 'date-time',
    description: 'When the holds lapse (all held together, so all at once): pay before this',
    example: EXAMPLE.expiresAt,
  })
  expiresAt!: string;
}

export function toHoldSeatsResponse(holds: HeldReservation[]): HoldSeatsResponse {
  return {
    reservations: holds.map((hold) => ({
      id: hold.id,
      seatId: hold.seatId,
      status: hold.status,
      price: hold.price,
      expiresAt: hold.expiresAt.toISOString(),
    })),
    totalAmount: holds.reduce((sum, hold) => sum + hold.price, 0),
    expiresAt: holds[0]!.expiresAt.toISOString(),
  };
}
