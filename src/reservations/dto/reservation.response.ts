import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { ReservationStatus } from '../../generated/prisma/enums.js';
import type { ReservationView } from '../reservations.repository.js';
import type { ReservationPage } from '../reservations.service.js';
import { PaginationResponse, toPaginationResponse } from '../../common/http/pagination.js';

export class ReservationResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.reservationId })
  id!: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.concertId })
  concertId!: string;

  @ApiProperty({ example: EXAMPLE.concertName })
  concertName!: string;

  @ApiProperty({ format: 'uuid', example: EXAMPLE.seatId })
  seatId!: string;

  @ApiProperty({ example: EXAMPLE.seatNumber })
  seatNumber!: string;

  @ApiProperty({ type: 'integer', description: 'In points', example: EXAMPLE.seatPrice })
  price!: number;

  /** A PENDING reservation past its expiry is reported as EXPIRED. */
  @ApiProperty({
    enum: ReservationStatus,
    enumName: 'ReservationStatus',
    description: 'A PENDING reservation past its expiry is reported as EXPIRED',
    example: ReservationStatus.CONFIRMED,
  })
  status!: ReservationStatus;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.reservedAt })
  reservedAt!: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'While PENDING: pay before this. When EXPIRED: when the hold lapsed. Absent once paid or cancelled',
    example: EXAMPLE.expiresAt,
  })
  expiresAt?: string;

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'When it was paid; only when CONFIRMED',
    example: EXAMPLE.createdAt,
  })
  paidAt?: string;
}

export class ReservationListResponse {
  @ApiProperty({ type: [ReservationResponse] })
  reservations!: ReservationResponse[];

  @ApiProperty({ type: PaginationResponse })
  pagination!: PaginationResponse;
}

export function toReservationResponse(reservation: ReservationView): ReservationResponse {
  return {
    id: reservation.id,
    concertId: reservation.concertId,
    concertName: reservation.concertName,
    seatId: reservation.seatId,
    seatNumber: reservation.seatNumber,
    price: reservation.price,
    status: reservation.status,
    reservedAt: reservation.reservedAt.toISOString(),
    // A paid or cancelled reservation has no deadline left: its hold's expiry would only mislead.
    ...(reservation.status === 'PENDING' || reservation.status === 'EXPIRED'
      ? { expiresAt: reservation.expiresAt.toISOString() }
      : {}),
    ...(reservation.paidAt ? { paidAt: reservation.paidAt.toISOString() } : {}),
  };
}

export function toReservationListResponse(page: ReservationPage): ReservationListResponse {
  return {
    reservations: page.reservations.map(toReservationResponse),
    pagination: toPaginationResponse(page),
  };
}
