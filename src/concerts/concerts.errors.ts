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
      'Give at least one of salesState, salesCloseAt, salesOpenAt, preQueueOpensSeconds, queueCapacity, queueWindowSeconds, queueClaimSeconds';
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

/** UPCOMING: before salesOpenAt, until the pre-queue's draw. No seat map, hold or payment yet. */
export class SalesNotOpenError extends DomainError {
  readonly code = 'SALES_NOT_OPEN';

  constructor(concertId: string, salesOpenAt: Date | null) {
    super(`Sales of concert ${concertId} open at ${salesOpenAt?.toISOString() ?? 'their opening'}`, {
      concertId,
      salesState: 'UPCOMING',
      salesOpenAt: salesOpenAt?.toISOString() ?? null,
    });
  }
}

/** The opening can be set only before it (not drawn yet) and before anyone has queued. */
export class SalesAlreadyOpenError extends DomainError {
  readonly code = 'SALES_ALREADY_OPEN';

  constructor(concertId: string) {
    super(`Sales of concert ${concertId} have opened (or someone has queued): its opening cannot be set`, {
      concertId,
    });
  }
}

export class InvalidSalesOpenAtError extends DomainError {
  readonly code = 'INVALID_SALES_OPEN_AT';

  constructor(salesOpenAt: Date, salesCloseAt: Date) {
    super('salesOpenAt must be in the future and before salesCloseAt (else startsAt)', {
      salesOpenAt: salesOpenAt.toISOString(),
      salesCloseAt: salesCloseAt.toISOString(),
    });
  }
}
