import { Injectable } from '@nestjs/common';
import { unexpectedOutcome } from '../database/function-outcomes.js';
import { Prisma } from '../generated/prisma/client.js';
import type { PaymentStatus } from '../generated/prisma/enums.js';
import type { SqlQuery } from '../prisma/prisma.service.js';
import type { Db } from '../prisma/transaction-runner.js';

export interface PaymentRow {
  id: string;
  userId: string;
  totalAmount: number;
  status: PaymentStatus;
  createdAt: Date;
}

/**
 * Every outcome the pay_reservations function answers (prisma/functions/pay_reservations.sql),
 * declared once: function-outcomes.spec.ts fails when this list and the function's differ.
 */
export const PAY_RESERVATIONS_OUTCOMES = [
  'PAID',
  'RESERVATION_NOT_FOUND',
  'RESERVATION_FORBIDDEN',
  'SALES_CLOSED',
  'RESERVATION_ALREADY_PAID',
  'RESERVATION_EXPIRED',
  'INSUFFICIENT_POINTS',
] as const;
export type PayReservationsOutcome = (typeof PAY_RESERVATIONS_OUTCOMES)[number];

/** What pay_reservations answered: the payment, or the first rule the request broke. */
export type PaymentOutcome =
  /** concertIds: where the payer's window ended, for the admit that follows the commit. */
  | { outcome: 'PAID'; payment: PaymentRow; concertIds: string[] }
  | {
      outcome:
        | 'RESERVATION_NOT_FOUND'
        | 'RESERVATION_FORBIDDEN'
        | 'SALES_CLOSED'
        | 'RESERVATION_ALREADY_PAID'
        | 'RESERVATION_EXPIRED';
      reservationIds: string[];
    }
  | { outcome: 'INSUFFICIENT_POINTS'; balance: number; required: number };

interface PayRow {
  outcome: PayReservationsOutcome;
  reservationIds: string[] | null;
  balance: number | null;
  required: number | null;
  paymentId: string | null;
  totalAmount: number | null;
  createdAt: Date | null;
  concertIds: string[] | null;
}

@Injectable()
export class PaymentsRepository {
  /**
   * Pays the user's held reservations in one round trip: one call of the pay_reservations
   * function (see prisma/functions/pay_reservations.sql for the rules, their order and its locks). All or none; a
   * refusal names the first rule broken and changes nothing.
   */
  async pay(query: SqlQuery, userId: string, reservationIds: string[]): Promise<PaymentOutcome> {
    const rows = await query<PayRow>(Prisma.sql`
      SELECT outcome, reservation_ids::text[] AS "reservationIds", balance, required,
             payment_id::text AS "paymentId", total_amount AS "totalAmount", created_at AS "createdAt",
             concert_ids::text[] AS "concertIds"
      FROM pay_reservations(${userId}::uuid, ${reservationIds}::uuid[])`);
    const row = rows[0];
    if (!row) throw new Error('pay_reservations answered no row');
    switch (row.outcome) {
      case 'PAID':
        return {
          outcome: 'PAID',
          payment: {
            id: row.paymentId!,
            userId,
            totalAmount: row.totalAmount!,
            status: 'COMPLETED',
            createdAt: row.createdAt!,
          },
          concertIds: row.concertIds!,
        };
      case 'RESERVATION_NOT_FOUND':
      case 'RESERVATION_FORBIDDEN':
      case 'SALES_CLOSED':
      case 'RESERVATION_ALREADY_PAID':
      case 'RESERVATION_EXPIRED':
        return { outcome: row.outcome, reservationIds: row.reservationIds! };
      case 'INSUFFICIENT_POINTS':
        return { outcome: row.outcome, balance: row.balance!, required: row.required! };
      default:
        return unexpectedOutcome('pay_reservations', row.outcome);
    }
  }

  async findPayment(tx: Db, paymentId: string): Promise<PaymentRow | null> {
    const rows = await tx.$queryRaw<PaymentRow[]>`
      SELECT id::text, user_id::text AS "userId", total_amount AS "totalAmount", status::text AS status, created_at AS "createdAt"
      FROM payments WHERE id = ${paymentId}::uuid`;
    return rows[0] ?? null;
  }
}
