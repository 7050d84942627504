import type { ReservationStatus } from '../../generated/prisma/enums.js';
import type { ReservationView } from '../reservations.repository.js';
import type { ReservationPage } from '../reservations.service.js';
import { toPaginationResponse, type PaginationResponse } from './pagination.response.js';

export class ReservationResponse {
  id!: string;
  concertId!: string;
  concertName!: string;
  seatId!: string;
  seatNumber!: string;
  price!: number;
  /** A PENDING reservation past its expiry is reported as EXPIRED. */
  status!: ReservationStatus;
  reservedAt!: string;
  expiresAt!: string;
}

export class ReservationListResponse {
  reservations!: ReservationResponse[];
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
    expiresAt: reservation.expiresAt.toISOString(),
  };
}

export function toReservationListResponse(page: ReservationPage): ReservationListResponse {
  return {
    reservations: page.reservations.map(toReservationResponse),
    pagination: toPaginationResponse(page),
  };
}
