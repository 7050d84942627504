import { Injectable } from '@nestjs/common';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import { unexpectedOutcome } from '../database/function-outcomes.js';
import { SalesClosedError } from '../concerts/concerts.errors.js';
import type { PaymentStatus } from '../generated/prisma/enums.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { InsufficientPointsError } from '../points/points.errors.js';
import { PrismaService, queryIn } from '../prisma/prisma.service.js';
import { QueueService } from '../queue/queue.service.js';
import {
  ReservationAlreadyPaidError,
  ReservationExpiredError,
  ReservationForbiddenError,
  ReservationNotFoundError,
} from '../reservations/reservations.errors.js';
import { ReservationsService, type ReservationView } from '../reservations/reservations.service.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from './payment-limits.js';
import { InvalidPaymentRequestError, PaymentNotFoundError } from './payments.errors.js';
import { PaymentsRepository, type PaymentOutcome, type PaymentRow } from './payments.repository.js';

export const PAYMENT_SCOPE = 'payment';

/** Stored as the idempotent result of a payment, so it stays plain JSON. */
export interface PaymentReceipt {
  paymentId: string;
  reservationIds: string[];
  totalAmount: number;
  status: PaymentStatus;
  createdAt: string;
}

export interface PaymentDetails extends PaymentReceipt {
  reservations: ReservationView[];
}

@Injectable()
export class PaymentsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: PaymentsRepository,
    private readonly reservations: ReservationsService,
    private readonly idempotency: IdempotencyService,
    private readonly queue: QueueService,
    private readonly metrics: EventMetrics,
  ) {}

  /**
   * Pays the caller's held reservations, all or none, in one database round trip (the
   * pay_reservations function: it locks seats, reservations and the wallet in the order every
   * path uses, and ends the caller's window by marking the entry, without the concert's queue
   * row). After the commit the next users are admitted in the background, batched per concert.
   * With an Idempotency-Key it runs in the key's transaction, so a retry answers the first
   * receipt instead of paying twice.
   */
  async pay(userId: string, reservationIds: string[], idempotencyKey?: string): Promise<PaymentReceipt> {
    if (!reservationIds.length) throw new InvalidPaymentRequestError('none given');
    if (reservationIds.length > MAX_RESERVATIONS_PER_PAYMENT)
      throw new InvalidPaymentRequestError(`${reservationIds.length} given`);
    if (new Set(reservationIds).size !== reservationIds.length)
      throw new InvalidPaymentRequestError('an id is repeated');

    let windowsEndedIn: string[] = [];
    // Set only when this request paid (not when a retry answers the stored receipt).
    let paid: PaymentReceipt | undefined;
    const receiptOf = (result: PaymentOutcome): PaymentReceipt => {
      switch (result.outcome) {
        case 'PAID':
          windowsEndedIn = result.concertIds;
          return (paid = toReceipt(result.payment, reservationIds));
        case 'RESERVATION_NOT_FOUND':
          throw new ReservationNotFoundError(result.reservationIds);
        case 'RESERVATION_FORBIDDEN':
          throw new ReservationForbiddenError(result.reservationIds);
        case 'SALES_CLOSED':
          throw new SalesClosedError({ reservationIds: result.reservationIds });
        case 'RESERVATION_ALREADY_PAID':
          throw new ReservationAlreadyPaidError(result.reservationIds);
        case 'RESERVATION_EXPIRED':
          throw new ReservationExpiredError(result.reservationIds);
        case 'INSUFFICIENT_POINTS':
          throw new InsufficientPointsError(result.balance, result.required);
        default:
          return unexpectedOutcome('pay_reservations', result);
      }
    };
    // Without a key, the function call is its own transaction: no BEGIN and COMMIT round trips,
    // straight on the pool and batched with the payments arriving meanwhile (the payment is one
    // of a rush's hot requests).
    const receipt =
      idempotencyKey === undefined
        ? receiptOf(await this.repo.payBatched(this.prisma.poolQuery, { userId, reservationIds }))
        : await this.idempotency.run(
            { userId, scope: PAYMENT_SCOPE, key: idempotencyKey, request: { reservationIds } },
            async (tx) => receiptOf(await this.repo.pay(queryIn(tx), userId, reservationIds)),
          );
    // Committed: the admit sees the ended windows. A replayed receipt ended none.
    if (windowsEndedIn.length) this.queue.admitAfterPayment(windowsEndedIn);
    // Counted once committed: a payment whose key's transaction rolled back threw above.
    if (paid) this.metrics.paymentCompleted(paid.totalAmount, paid.reservationIds.length);
    return receipt;
  }

  /** The caller's payment; another user's answers as not found. */
  async getPayment(userId: string, paymentId: string): Promise<PaymentDetails> {
    const payment = await this.repo.findPayment(this.prisma, paymentId);
    if (!payment || payment.userId !== userId) throw new PaymentNotFoundError(paymentId);
    const reservations = await this.reservations.findReservationsOfPayment(payment.id);
    return {
      ...toReceipt(
        payment,
        reservations.map((reservation) => reservation.id),
      ),
      reservations,
    };
  }
}

function toReceipt(payment: PaymentRow, reservationIds: string[]): PaymentReceipt {
  return {
    paymentId: payment.id,
    reservationIds,
    totalAmount: payment.totalAmount,
    status: payment.status,
    createdAt: payment.createdAt.toISOString(),
  };
}
