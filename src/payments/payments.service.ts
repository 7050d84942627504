import { Injectable } from '@nestjs/common';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import type { PaymentStatus } from '../generated/prisma/enums.js';
import { PointsService } from '../points/points.service.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { QueueService } from '../queue/queue.service.js';
import { ReservationsService, type ReservationView } from '../reservations/reservations.service.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from './payment-limits.js';
import { InvalidPaymentRequestError, PaymentNotFoundError } from './payments.errors.js';
import { PaymentsRepository, type PaymentRow } from './payments.repository.js';

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
    private readonly points: PointsService,
    private readonly queue: QueueService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Pays the caller's held reservations in one transaction: all of them or none. Locks
   * in the one order every path uses: seats, reservations (lockPayable), the wallet
   * (debit), then each concert's queue (completeWindow), which admits the next user.
   */
  async pay(userId: string, reservationIds: string[], idempotencyKey?: string): Promise<PaymentReceipt> {
    if (!reservationIds.length) throw new InvalidPaymentRequestError('none given');
    if (reservationIds.length > MAX_RESERVATIONS_PER_PAYMENT)
      throw new InvalidPaymentRequestError(`${reservationIds.length} given`);
    if (new Set(reservationIds).size !== reservationIds.length)
      throw new InvalidPaymentRequestError('an id is repeated');

    return this.idempotency.run(
      { userId, scope: PAYMENT_SCOPE, key: idempotencyKey, request: { reservationIds } },
      async (tx) => {
        const reservations = await this.reservations.lockPayable(tx, userId, reservationIds);
        const totalAmount = reservations.reduce((sum, reservation) => sum + reservation.price, 0);
        const payment = await this.repo.insertPayment(tx, userId, totalAmount);
        await this.points.debit(tx, userId, totalAmount, payment.id);
        await this.reservations.confirmPaid(tx, reservations, payment.id);
        // Sorted, so two payments spanning the same concerts lock their queues in the same order.
        const concertIds = [...new Set(reservations.map((reservation) => reservation.concertId))].sort();
        for (const concertId of concertIds) await this.queue.completeWindow(tx, userId, concertId);
        return toReceipt(payment, reservationIds);
      },
    );
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
