import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth/auth-user.js';
import { plainObject, plainUuidList, type FastAnswer, type FastRoute } from '../common/http/fast-routes.js';
import { toPaymentResponse } from './dto/payment.response.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from './payment-limits.js';
import { PaymentsService } from './payments.service.js';

/**
 * PaymentsController's `pay` (POST /payment) without an Idempotency-Key, before Nest. A keyed
 * payment goes on to the controller (its key is checked and remembered there).
 */
@Injectable()
export class PaymentFastRoute implements FastRoute<string[]> {
  readonly method = 'POST';
  readonly url = '/payment';

  constructor(private readonly payments: PaymentsService) {}

  parse(request: FastifyRequest): string[] | undefined {
    if (request.headers['idempotency-key'] !== undefined) return undefined;
    const body = plainObject(request.body, ['reservationIds']);
    return plainUuidList(body?.reservationIds, MAX_RESERVATIONS_PER_PAYMENT);
  }

  async handle(user: AuthUser, reservationIds: string[]): Promise<FastAnswer> {
    return { status: 200, body: toPaymentResponse(await this.payments.pay(user.id, reservationIds)) };
  }
}
