import { Injectable } from '@nestjs/common';
import type { PaymentStatus } from '../generated/prisma/enums.js';
import type { Tx } from '../prisma/transaction-runner.js';

export interface PaymentRow {
  id: string;
  userId: string;
  totalAmount: number;
  status: PaymentStatus;
  createdAt: Date;
}

@Injectable()
export class PaymentsRepository {
  /** A COMPLETED payment; it commits only together with the debit and the confirmed reservations. */
  async insertPayment(tx: Tx, userId: string, totalAmount: number): Promise<PaymentRow> {
    const rows = await tx.$queryRaw<PaymentRow[]>`
      INSERT INTO payments (user_id, total_amount, created_at)
      VALUES (${userId}::uuid, ${totalAmount}::int, clock_timestamp())
      RETURNING id::text, user_id::text AS "userId", total_amount AS "totalAmount", status::text AS status, created_at AS "createdAt"`;
    return rows[0]!;
  }

  async findPayment(tx: Tx, paymentId: string): Promise<PaymentRow | null> {
    const rows = await tx.$queryRaw<PaymentRow[]>`
      SELECT id::text, user_id::text AS "userId", total_amount AS "totalAmount", status::text AS status, created_at AS "createdAt"
      FROM payments WHERE id = ${paymentId}::uuid`;
    return rows[0] ?? null;
  }
}
