import { Injectable } from '@nestjs/common';
import { unexpectedOutcome } from '../database/function-outcomes.js';
import { Prisma } from '../generated/prisma/client.js';
import type { PaymentStatus } from '../generated/prisma/enums.js';
import type { SqlQuery } from '../prisma/prisma.service.js';
import { PerConcertRequestBatcher, togetherOrEachAlone } from '../queue/per-concert-batcher.js';
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

export interface PaymentRequest {
  userId: string;
  reservationIds: string[];
}

/**
 * The batcher's one key: payments of every concert share a batch. The app does not know a
 * payment's concerts before the statement, and per concert the ten-concert rush's batches were small.
 */
const ANY_CONCERT = '';

@Injectable()
export class PaymentsRepository {
  /** Per way of running statements (the pool, in production), its batches of payments. */
  private readonly paymentBatchers = new WeakMap<
    SqlQuery,
    PerConcertRequestBatcher<PaymentRequest, PromiseSettledResult<PaymentOutcome>>
  >();

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
    return paymentOutcomeOf(userId, rows[0]);
  }

  /**
   * pay, each call its own transaction, for `query` that commits each statement (the pool). The
   * payments asked for while its statement runs go out together as the next one
   * (paidInOneStatement), each answered as it would be alone: in a rush every buyer pays at once,
   * each a transaction with its own round trip, relation locks and commit.
   */
  async payBatched(query: SqlQuery, request: PaymentRequest): Promise<PaymentOutcome> {
    let batcher = this.paymentBatchers.get(query);
    if (!batcher) {
      batcher = new PerConcertRequestBatcher((_key, requests) => this.payBatch(query, requests));
      this.paymentBatchers.set(query, batcher);
    }
    const answer = await batcher.load(ANY_CONCERT, request);
    if (answer.status === 'rejected') throw answer.reason;
    return answer.value;
  }

  /**
   * A batch of payments: a lone one in a statement of its own; several in one statement, or,
   * when that statement fails (a deadlock, a lost connection, a payment's RAISE), each alone
   * once, one after the other in arrival order. The failed statement rolled back as a whole, and
   * a payment that would have been answered alone is not turned into an error by another one.
   */
  private async payBatch(
    query: SqlQuery,
    requests: readonly PaymentRequest[],
  ): Promise<PromiseSettledResult<PaymentOutcome>[]> {
    return togetherOrEachAlone(
      requests,
      (together) => this.paidInOneStatement(query, together),
      (request) => this.pay(query, request.userId, request.reservationIds),
    );
  }

  /**
   * Several payments in one statement: pay_reservations once per payment, in user id order (a
   * user's own in arrival order), each answering its row tagged with the payment's place. Each
   * call's statements take fresh snapshots that see the earlier calls' writes (a reservation
   * paid, a balance spent), so each payment is answered as if the earlier ones had committed
   * before it. Every lock is kept to the statement's end, so the batch's sales locks are taken
   * first in concert id order (take_payment_turns), and the rows a payment waits for are its
   * payer's, taken user by user in user id order: two batches take them in one order.
   */
  private async paidInOneStatement(
    query: SqlQuery,
    requests: readonly PaymentRequest[],
  ): Promise<PromiseSettledResult<PaymentOutcome>[]> {
    // Stable: a user's own payments keep their arrival order.
    const places = requests
      .map((_request, place) => place)
      .sort((a, b) => compareText(requests[a]!.userId, requests[b]!.userId));
    const ordered = places.map((place) => requests[place]!);
    // Each payment's reservations as the text of an array (the lists differ in length): validated
    // uuids, never quoted. The calls take their users from take_payment_turns (once: MATERIALIZED),
    // so they run after it.
    const rows = await query<PayRow & { payment: number }>(Prisma.sql`
      WITH t AS MATERIALIZED (
        SELECT take_payment_turns(${ordered.map((request) => request.userId)}::uuid[],
                                  ${ordered.flatMap((request) => request.reservationIds)}::uuid[]) AS user_ids
      )
      SELECT b.payment::int, p.outcome, p.reservation_ids::text[] AS "reservationIds", p.balance, p.required,
             p.payment_id::text AS "paymentId", p.total_amount AS "totalAmount", p.created_at AS "createdAt",
             p.concert_ids::text[] AS "concertIds"
      FROM t CROSS JOIN LATERAL unnest(t.user_ids,
                                       ${ordered.map((request) => `{${request.reservationIds.join(',')}}`)}::text[])
           WITH ORDINALITY b(user_id, reservation_ids, payment)
      CROSS JOIN LATERAL pay_reservations(b.user_id, b.reservation_ids::uuid[]) p
      ORDER BY b.payment`);
    const rowOfPayment = new Map(rows.map((row) => [row.payment, row]));
    const answers: PromiseSettledResult<PaymentOutcome>[] = [];
    ordered.forEach((request, i) => {
      try {
        answers[places[i]!] = {
          status: 'fulfilled',
          value: paymentOutcomeOf(request.userId, rowOfPayment.get(i + 1)),
        };
      } catch (reason) {
        answers[places[i]!] = { status: 'rejected', reason };
      }
    });
    return answers;
  }

  async findPayment(tx: Db, paymentId: string): Promise<PaymentRow | null> {
    const rows = await tx.$queryRaw<PaymentRow[]>`
      SELECT id::text, user_id::text AS "userId", total_amount AS "totalAmount", status::text AS status, created_at AS "createdAt"
      FROM payments WHERE id = ${paymentId}::uuid`;
    return rows[0] ?? null;
  }
}

/** Byte order, as PostgreSQL orders uuids (lowercase hex text sorts as the uuid does). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function paymentOutcomeOf(userId: string, row: PayRow | undefined): PaymentOutcome {
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
