import { DomainError } from '../common/errors/domain-error.js';

export class QueueEntryNotFoundError extends DomainError {
  readonly code = 'QUEUE_ENTRY_NOT_FOUND';
  constructor(concertId: string) {
    super(`You are not in the queue of concert ${concertId}`, { concertId });
  }
}

export class QueueNotActiveError extends DomainError {
  readonly code = 'QUEUE_NOT_ACTIVE';
  constructor(concertId: string) {
    super(
      `You need an active queue window for concert ${concertId}; enter the queue and wait for your turn`,
      {
        concertId,
      },
    );
  }
}

export class ConcurrentEntryError extends DomainError {
  readonly code = 'CONCURRENT_UPDATE';
  constructor(concertId: string) {
    super(`Entering the queue of concert ${concertId} kept conflicting with other requests; retry`, {
      concertId,
    });
  }
}
