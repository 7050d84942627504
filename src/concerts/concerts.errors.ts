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
    super('Give at least one of salesState, queueCapacity, queueWindowSeconds');
  }
}
