import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE } from '../openapi/examples.js';
import { STATUS_BY_CODE, type ErrorCode } from './error-codes.js';
import { httpErrorBody, type HttpErrorBody } from './http-error.filter.js';

/** The body of every error response, as HttpErrorFilter writes it. Clients switch on `code`. */
export class ErrorResponse implements HttpErrorBody {
  @ApiProperty({ description: 'The HTTP status, repeated in the body', example: 409 })
  statusCode!: number;

  @ApiProperty({ description: 'The HTTP status text', example: 'Conflict' })
  error!: string;

  @ApiProperty({
    description: 'Stable, machine-readable reason; clients switch on this, not on `message`',
    enum: Object.keys(STATUS_BY_CODE),
    enumName: 'ErrorCode',
    example: 'SEAT_ALREADY_RESERVED',
  })
  code!: ErrorCode;

  @ApiProperty({
    description: 'For people: may change wording at any time',
    example: `Seat ${EXAMPLE.seatId} is already held or sold; nothing was held`,
  })
  message!: string;

  @ApiPropertyOptional({
    description:
      'Structured facts about the error, when there are any (ids, limits, balances). VALIDATION_FAILED: ' +
      '`errors`, one `{field, message, constraint}` per broken rule, `field` a JSON pointer into the body ' +
      "(`/seatIds`) or the query parameter's name (`limit`)",
    type: 'object',
    additionalProperties: true,
    example: { seatIds: [EXAMPLE.seatId] },
  })
  details?: Record<string, unknown>;
}

type ErrorExample = { message: string; details?: Record<string, unknown> };

/** One example per code. Typed by ErrorCode, so a new code cannot go undocumented. */
const ERROR_EXAMPLES: Record<ErrorCode, ErrorExample> = {
  VALIDATION_FAILED: {
    message: 'amount must be an integer number; amount must not be less than 1',
    details: {
      errors: [
        { field: '/amount', message: 'amount must be an integer number', constraint: 'isInt' },
        { field: '/amount', message: 'amount must not be less than 1', constraint: 'min' },
      ],
    },
  },
  INVALID_JSON: { message: 'Request body is not valid JSON' },
  BAD_REQUEST: { message: 'A value in the request has the wrong format' },
  UNAUTHENTICATED: { message: 'A Bearer access token is required' },
  FORBIDDEN: { message: 'This route needs the ADMIN role' },
  ROUTE_NOT_FOUND: { message: 'Cannot GET /no-such-route' },
  NOT_FOUND: { message: 'A referenced resource does not exist' },
  METHOD_NOT_ALLOWED: {
    message: 'PUT is not allowed on /points/charge; use PATCH',
    details: { allow: ['PATCH'] },
  },
  REQUEST_TIMEOUT: { message: 'The request was not received in time' },
  CONFLICT: { message: 'The request conflicts with the current state' },
  CONCURRENT_UPDATE: { message: 'The request conflicted with a concurrent update; retry it' },
  PAYLOAD_TOO_LARGE: { message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: {
    message: 'The body must be JSON with Content-Type: application/json, not text/plain',
    details: { contentType: 'text/plain' },
  },
  HEADERS_TOO_LARGE: { message: 'The request headers are too large' },
  RATE_LIMITED: { message: 'Too many requests; retry after the time in Retry-After' },
  INTERNAL_ERROR: { message: 'Internal server error' },
  SERVICE_UNAVAILABLE: { message: 'The database is busy; retry shortly' },
  INVALID_IDEMPOTENCY_KEY: { message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' },
  IDEMPOTENCY_KEY_IN_USE: {
    message: 'A request with this Idempotency-Key is still being processed; retry it shortly',
  },
  IDEMPOTENCY_KEY_REUSED: { message: 'This Idempotency-Key was already used with a different request' },
  EMAIL_ALREADY_REGISTERED: { message: 'An account with this email already exists' },
  INVALID_CREDENTIALS: { message: 'Email or password is incorrect' },
  REFRESH_TOKEN_REUSED: { message: 'This refresh token was already used; sign in again' },
  CONCERT_NOT_FOUND: {
    message: `Concert ${EXAMPLE.concertId} does not exist`,
    details: { concertId: EXAMPLE.concertId },
  },
  SALES_PAUSED: {
    message: `Sales of concert ${EXAMPLE.concertId} are paused: no entry or new hold; holds already made can be paid`,
    details: { concertId: EXAMPLE.concertId, salesState: 'PAUSED' },
  },
  SALES_CLOSED: {
    message: `Sales of concert ${EXAMPLE.concertId} are closed`,
    details: { concertId: EXAMPLE.concertId, salesState: 'CLOSED' },
  },
  SALES_NOT_OPEN: {
    message: `Sales of concert ${EXAMPLE.concertId} open at 2030-07-01T10:00:00.000Z`,
    details: {
      concertId: EXAMPLE.concertId,
      salesState: 'UPCOMING',
      salesOpenAt: '2030-07-01T10:00:00.000Z',
    },
  },
  SALES_ALREADY_OPEN: {
    message: `Sales of concert ${EXAMPLE.concertId} have opened (or someone has queued): its opening cannot be set`,
    details: { concertId: EXAMPLE.concertId },
  },
  INVALID_SALES_OPEN_AT: {
    message: 'salesOpenAt must be in the future and before salesCloseAt (else startsAt)',
    details: { salesOpenAt: '2030-07-16T10:00:00.000Z', salesCloseAt: '2030-07-15T10:00:00.000Z' },
  },
  INVALID_SEAT_LAYOUT: { message: 'Give exactly one of seats or layout' },
  CONCERT_DATE_IN_PAST: {
    message: 'startsAt must be in the future',
    details: { startsAt: '2020-07-15T10:00:00.000Z' },
  },
  INVALID_SALES_CLOSE_AT: {
    message: 'salesCloseAt must be in the future and not after startsAt',
    details: { salesCloseAt: '2030-07-16T10:00:00.000Z', startsAt: '2030-07-15T10:00:00.000Z' },
  },
  QUEUE_ENTRY_NOT_FOUND: {
    message: `You are not in the queue of concert ${EXAMPLE.concertId}`,
    details: { concertId: EXAMPLE.concertId },
  },
  PRE_QUEUE_NOT_OPEN: {
    message: `The pre-queue of concert ${EXAMPLE.concertId} opens at 2030-07-01T09:30:00.000Z`,
    details: {
      concertId: EXAMPLE.concertId,
      preQueueOpensAt: '2030-07-01T09:30:00.000Z',
      salesOpenAt: '2030-07-01T10:00:00.000Z',
    },
  },
  DRAW_NOT_FOUND: {
    message: `Concert ${EXAMPLE.concertId} has no pre-queue draw: its sales opened at once`,
    details: { concertId: EXAMPLE.concertId },
  },
  QUEUE_NOT_ACTIVE: {
    message: `You need an active queue window for concert ${EXAMPLE.concertId}; enter the queue and wait for your turn`,
    details: { concertId: EXAMPLE.concertId, reason: 'EXPIRED', endedAt: '2026-12-04T18:05:00.000Z' },
  },
  QUEUE_ENTRY_ENDED: {
    message: `Your place in the queue of concert ${EXAMPLE.concertId} ended (NO_SHOW); enter again to queue`,
    details: { concertId: EXAMPLE.concertId, reason: 'NO_SHOW', endedAt: '2026-12-04T18:00:30.000Z' },
  },
  INVALID_AMOUNT: {
    message: 'Amount must be an integer from 1 to 1000000',
    details: { amount: 2_000_000, maxAmount: 1_000_000 },
  },
  BALANCE_LIMIT_EXCEEDED: {
    message: 'Charging 10000 would take the balance of 99995000 beyond 100000000',
    details: { balance: 99_995_000, amount: 10_000, maxBalance: 100_000_000 },
  },
  INSUFFICIENT_POINTS: {
    message: 'Balance 5000 is less than 100000',
    details: { balance: 5_000, required: 100_000 },
  },
  SEAT_NOT_FOUND: {
    message: `No seat ${EXAMPLE.seatId} in concert ${EXAMPLE.concertId}`,
    details: { concertId: EXAMPLE.concertId, seatIds: [EXAMPLE.seatId] },
  },
  SEAT_ALREADY_RESERVED: {
    message: `Seat ${EXAMPLE.seatId} is already held or sold; nothing was held`,
    details: { seatIds: [EXAMPLE.seatId] },
  },
  HOLD_LIMIT_EXCEEDED: {
    message: 'You may hold at most 4 seats in a concert; you hold 3 and asked for 2',
    details: { limit: 4, held: 3, requested: 2 },
  },
  RESERVATION_NOT_FOUND: {
    message: `No reservation ${EXAMPLE.reservationId}`,
    details: { reservationIds: [EXAMPLE.reservationId] },
  },
  RESERVATION_FORBIDDEN: {
    message: `Reservation ${EXAMPLE.reservationId} is not yours`,
    details: { reservationIds: [EXAMPLE.reservationId] },
  },
  RESERVATION_NOT_PENDING: {
    message: `Reservation ${EXAMPLE.reservationId} is CONFIRMED, not PENDING`,
    details: { reservationId: EXAMPLE.reservationId, status: 'CONFIRMED' },
  },
  RESERVATION_ALREADY_PAID: {
    message: `Reservation ${EXAMPLE.reservationId} is already paid`,
    details: { reservationIds: [EXAMPLE.reservationId] },
  },
  RESERVATION_EXPIRED: {
    message: `Reservation ${EXAMPLE.reservationId} has expired or was cancelled; hold the seats again`,
    details: { reservationIds: [EXAMPLE.reservationId] },
  },
  PAYMENT_NOT_FOUND: {
    message: `No payment ${EXAMPLE.paymentId}`,
    details: { paymentId: EXAMPLE.paymentId },
  },
};

/** The body the API answers with for `code`, filled with the example above. */
export function exampleErrorBody(code: ErrorCode): HttpErrorBody {
  const { message, details } = ERROR_EXAMPLES[code];
  return httpErrorBody(STATUS_BY_CODE[code], code, message, details);
}
