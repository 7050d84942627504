import { DomainError } from '../common/errors/domain-error.js';
import type { ReservationStatus } from '../generated/prisma/enums.js';

/** A seat selection the DTO cannot fully judge: the maximum comes from configuration. */
export class InvalidSeatSelectionError extends DomainError {
  readonly code = 'VALIDATION_FAILED';

  constructor(reason: string, maxSeats: number) {
    const message = `seatIds must be 1 to ${maxSeats} distinct seat ids: ${reason}`;
    super(message, { maxSeats, errors: [{ field: '/seatIds', message, constraint: 'seatSelection' }] });
  }
}

export class SeatNotFoundError extends DomainError {
  readonly code = 'SEAT_NOT_FOUND';

  constructor(concertId: string, seatIds: string[]) {
    super(`No seat ${seatIds.join(', ')} in concert ${concertId}`, { concertId, seatIds });
  }
}

export class SeatAlreadyReservedError extends DomainError {
  readonly code = 'SEAT_ALREADY_RESERVED';

  constructor(seatIds: string[]) {
    super(`Seat ${seatIds.join(', ')} is already held or sold; nothing was held`, { seatIds });
  }
}

export class HoldLimitExceededError extends DomainError {
  readonly code = 'HOLD_LIMIT_EXCEEDED';

  constructor(limit: number, held: number, requested: number) {
    super(`You may hold at most ${limit} seats in a concert; you hold ${held} and asked for ${requested}`, {
      limit,
      held,
      requested,
    });
  }
}

export class ReservationNotFoundError extends DomainError {
  readonly code = 'RESERVATION_NOT_FOUND';

  constructor(reservationIds: string[]) {
    super(`No reservation ${reservationIds.join(', ')}`, { reservationIds });
  }
}

/** Names only the ids the caller sent: nothing about the other user's reservation. */
export class ReservationForbiddenError extends DomainError {
  readonly code = 'RESERVATION_FORBIDDEN';

  constructor(reservationIds: string[]) {
    super(`Reservation ${reservationIds.join(', ')} is not yours`, { reservationIds });
  }
}

export class ReservationNotPendingError extends DomainError {
  readonly code = 'RESERVATION_NOT_PENDING';

  constructor(reservationId: string, status: ReservationStatus) {
    super(`Reservation ${reservationId} is ${status}, not PENDING`, { reservationId, status });
  }
}

export class ReservationAlreadyPaidError extends DomainError {
  readonly code = 'RESERVATION_ALREADY_PAID';

  constructor(reservationIds: string[]) {
    super(`Reservation ${reservationIds.join(', ')} is already paid`, { reservationIds });
  }
}

export class ReservationExpiredError extends DomainError {
  readonly code = 'RESERVATION_EXPIRED';

  constructor(reservationIds: string[]) {
    super(`Reservation ${reservationIds.join(', ')} has expired or was cancelled; hold the seats again`, {
      reservationIds,
    });
  }
}
