import type {
  PaymentOutcome,
  PaymentRequest,
  PaymentRow,
  PaymentsRepository,
} from '../../src/payments/payments.repository.js';
import type { SqlQuery } from '../../src/prisma/prisma.service.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import { FAKE_POOL_QUERY } from './fake-transaction-runner.js';
import type { PublicOf } from './fake.js';

/**
 * payments in memory. The payment rules live in the pay_reservations SQL function and are
 * tested against PostgreSQL; here a test sets what the database answers, and sees each call.
 */
export class InMemoryPaymentsRepository implements PublicOf<PaymentsRepository> {
  readonly payments = new Map<string, PaymentRow>();
  payOutcome: PaymentOutcome | undefined;
  /** Each call, and whether it ran straight on the pool or in a transaction. */
  readonly payCalls: { on: 'pool' | 'transaction'; userId: string; reservationIds: string[] }[] = [];

  async pay(query: SqlQuery, userId: string, reservationIds: string[]): Promise<PaymentOutcome> {
    this.payCalls.push({ on: query === FAKE_POOL_QUERY ? 'pool' : 'transaction', userId, reservationIds });
    if (!this.payOutcome) throw new Error('InMemoryPaymentsRepository: set payOutcome first');
    if (this.payOutcome.outcome === 'PAID')
      this.payments.set(this.payOutcome.payment.id, this.payOutcome.payment);
    return this.payOutcome;
  }

  /** Batching is the database's concern: here each payment is answered as alone. */
  payBatched(query: SqlQuery, request: PaymentRequest): Promise<PaymentOutcome> {
    return this.pay(query, request.userId, request.reservationIds);
  }

  async findPayment(_tx: Tx, paymentId: string): Promise<PaymentRow | null> {
    const payment = this.payments.get(paymentId);
    return payment ? { ...payment } : null;
  }
}
