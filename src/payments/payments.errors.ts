import { DomainError } from '../common/errors/domain-error.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from './payment-limits.js';

export class InvalidPaymentRequestError extends DomainError {
  readonly code = 'VALIDATION_FAILED';

  constructor(reason: string) {
    const message = `reservationIds must be 1 to ${MAX_RESERVATIONS_PER_PAYMENT} distinct reservation ids: ${reason}`;
    super(message, {
      maxReservations: MAX_RESERVATIONS_PER_PAYMENT,
      errors: [{ field: '/reservationIds', message, constraint: 'reservationSelection' }],
    });
  }
}

/** Also for another user's payment: whether it exists is not the caller's business. */
export class PaymentNotFoundError extends DomainError {
  readonly code = 'PAYMENT_NOT_FOUND';

  constructor(paymentId: string) {
    super(`No payment ${paymentId}`, { paymentId });
  }
}
