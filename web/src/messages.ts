import { ApiFailure } from './api.js';
import { points } from './format.js';

/** What a fan reads for an API error: what happened and what to do, never a code. */
export function fanMessage(error: unknown): string {
  if (!(error instanceof ApiFailure)) return 'Something went wrong on this page. Reload it and try again.';
  const details = error.details;
  switch (error.code) {
    case 'NETWORK':
      return error.message;
    case 'INVALID_CREDENTIALS':
      return 'That email and password do not match. Check them and try again.';
    case 'EMAIL_ALREADY_REGISTERED':
      return 'There is already an account with this email: sign in instead.';
    case 'VALIDATION_FAILED':
      return 'Please check what you entered: an email address, and a password of 8 to 128 characters.';
    case 'RATE_LIMITED':
      return 'Too many sign-in attempts. Wait a minute and try again.';
    case 'SEAT_ALREADY_RESERVED':
      return 'Someone else just took one of those seats. The map is up to date again: pick other seats.';
    case 'HOLD_LIMIT_EXCEEDED':
      return 'You already hold as many seats as one fan may. Pay for them or release some first.';
    case 'INSUFFICIENT_POINTS': {
      const missing = Number(details.required) - Number(details.balance);
      return Number.isFinite(missing) && missing > 0
        ? `You need ${points(missing)} more. Top up, then pay again.`
        : 'You do not have enough points. Top up, then pay again.';
    }
    case 'RESERVATION_EXPIRED':
      return 'Your hold ran out before it was paid, so the seats went back on sale. Pick seats again.';
    case 'RESERVATION_ALREADY_PAID':
      return 'These seats are paid already: they are in My tickets.';
    case 'QUEUE_NOT_ACTIVE':
    case 'QUEUE_ENTRY_ENDED':
    case 'QUEUE_ENTRY_NOT_FOUND':
      if (details.reason === 'LEFT') return 'You left the queue. Join it again to try once more.';
      if (details.reason === 'PAID') return 'Your purchase is done. To buy more, join the queue again.';
      if (details.reason === 'SALES_CLOSED') return 'Sales for this concert are closed.';
      return "Your turn ended: you didn't come back in time. Join the queue again to try once more.";
    case 'CONCERT_NOT_ON_SALE':
    case 'SALES_PAUSED':
      return details.salesState === 'CLOSED'
        ? 'Sales for this concert are closed.'
        : 'Sales for this concert are paused for now. Please come back later.';
    case 'SALES_CLOSED':
      return 'Sales for this concert are closed.';
    case 'PRE_QUEUE_NOT_OPEN':
      return typeof details.preQueueOpensAt === 'string'
        ? `The queue for this concert opens at ${new Date(details.preQueueOpensAt).toLocaleString('en')}. Come back then: everyone who joins before sales open gets a random place.`
        : 'The queue for this concert is not open yet. Please come back later.';
    case 'SALES_NOT_OPEN':
      return 'Sales for this concert have not opened yet.';
    case 'CONCERT_NOT_FOUND':
      return 'This concert is not on sale any more.';
    case 'INVALID_AMOUNT':
      return `Top up a whole number of points from 1 to ${points(Number(details.maxAmount) || 1_000_000)}.`;
    case 'BALANCE_LIMIT_EXCEEDED':
      return 'That would take your balance over the limit. Top up less.';
    case 'SERVICE_UNAVAILABLE':
    case 'INTERNAL_ERROR':
      return 'The box office is very busy. Try again in a moment.';
    default:
      return error.message || 'Something went wrong. Try again.';
  }
}
