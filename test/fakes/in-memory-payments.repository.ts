import { randomUUID } from 'node:crypto';
import type { PaymentRow, PaymentsRepository } from '../../src/payments/payments.repository.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import type { PublicOf } from './fake.js';

/** payments in memory. */
export class InMemoryPaymentsRepository implements PublicOf<PaymentsRepository> {
  readonly payments = new Map<string, PaymentRow>();

  async insertPayment(_tx: Tx, userId: string, totalAmount: number): Promise<PaymentRow> {
    const payment: PaymentRow = {
      id: randomUUID(),
      userId,
      totalAmount,
      status: 'COMPLETED',
      createdAt: new Date('2025-01-01T10:00:00Z'),
    };
    this.payments.set(payment.id, payment);
    return { ...payment };
  }

  async findPayment(_tx: Tx, paymentId: string): Promise<PaymentRow | null> {
    const payment = this.payments.get(paymentId);
    return payment ? { ...payment } : null;
  }
}
