import { DomainError } from '../common/errors/domain-error.js';
import type { QueueExit } from './queue.repository.js';

const exitDetails = (exit: QueueExit | null | undefined) =>
  exit ? { reason: exit.reason, endedAt: exit.endedAt.toISOString() } : {};

/** The caller's entry ended within the last hour: `details.reason` says how. */
export class QueueEntryEndedError extends DomainError {
  readonly code = 'QUEUE_ENTRY_ENDED';
  constructor(concertId: string, exit: QueueExit) {
    super(`Your place in the queue of concert ${concertId} ended (${exit.reason}); enter again to queue`, {
      concertId,
      ...exitDetails(exit),
    });
  }
}

export class QueueEntryNotFoundError extends DomainError {
  readonly code = 'QUEUE_ENTRY_NOT_FOUND';
  constructor(concertId: string) {
    super(`You are not in the queue of concert ${concertId}`, { concertId });
  }
}

export class QueueNotActiveError extends DomainError {
  readonly code = 'QUEUE_NOT_ACTIVE';
  /** With `exit`, the caller's place ended recently and `details.reason` says how. */
  constructor(concertId: string, exit?: QueueExit | null) {
    super(
      `You need an active queue window for concert ${concertId}; enter the queue and wait for your turn`,
      { concertId, ...exitDetails(exit) },
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

/** Before the pre-queue opens (PRE_QUEUE_OPENS_SECONDS before salesOpenAt), nobody can enter. */
export class PreQueueNotOpenError extends DomainError {
  readonly code = 'PRE_QUEUE_NOT_OPEN';
  constructor(concertId: string, preQueueOpensAt: Date, salesOpenAt: Date) {
    super(`The pre-queue of concert ${concertId} opens at ${preQueueOpensAt.toISOString()}`, {
      concertId,
      preQueueOpensAt: preQueueOpensAt.toISOString(),
      salesOpenAt: salesOpenAt.toISOString(),
    });
  }
}

export class DrawNotFoundError extends DomainError {
  readonly code = 'DRAW_NOT_FOUND';
  constructor(concertId: string) {
    super(`Concert ${concertId} has no pre-queue draw: its sales opened at once`, { concertId });
  }
}
