import { DomainError } from '../common/errors/domain-error.js';

export class ConcertNotFoundError extends DomainError {
  readonly code = 'CONCERT_NOT_FOUND';

  constructor(concertId: string) {
    super(`Concert ${concertId} does not exist`, { concertId });
  }
}

export class InvalidSeatLayoutError extends DomainError {
  readonly code = 'INVALID_SEAT_LAYOUT';
}

export class ConcertDateInPastError extends DomainError {
  readonly code = 'CONCERT_DATE_IN_PAST';

  constructor(startsAt: Date) {
    super('startsAt must be in the future', { startsAt: startsAt.toISOString() });
  }
}

export class NoConcertChangesError extends DomainError {
  readonly code = 'VALIDATION_FAILED';

  constructor() {
    const message =
      'Give at least one of salesState, salesCloseAt, queueCapacity, queueWindowSeconds, queueClaimSeconds';
    super(message, { errors: [{ field: '', message, constraint: 'minProperties' }] });
  }
}

/** PAUSED: no entry, admission or new hold; holds already made can still be paid. */
export class SalesPausedError extends DomainError {
  readonly code = 'SALES_PAUSED';

  constructor(concertId: string) {
    super(`Sales of concert ${concertId} are paused: no entry or new hold; holds already made can be paid`, {
      concertId,
      salesState: 'PAUSED',
    });
  }
}

/** CLOSED for good: by the operator, or at salesCloseAt (else startsAt) by the database clock. */
export class SalesClosedError extends DomainError {
  readonly code = 'SALES_CLOSED';

  constructor(target: { concertId: string } | { reservationIds: string[] }) {
    super(
      'concertId' in target
        ? `Sales of concert ${target.concertId} are closed`
        : `Sales of the concert of reservation ${target.reservationIds.join(', ')} are closed`,
      { ...target, salesState: 'CLOSED' },
    );
  }
}

export class InvalidSalesCloseAtError extends DomainError {
  readonly code = 'INVALID_SALES_CLOSE_AT';

  constructor(salesCloseAt: Date, startsAt: Date) {
    super('salesCloseAt must be in the future and not after startsAt', {
      salesCloseAt: salesCloseAt.toISOString(),
      startsAt: startsAt.toISOString(),
    });
  }
}
