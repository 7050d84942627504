import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { IDEMPOTENCY_KEY_HEADER } from '../common/openapi/idempotency-key.header.js';
import { PayReservationsDto } from './dto/pay-reservations.dto.js';
import {
  PaymentDetailsResponse,
  PaymentResponse,
  toPaymentDetailsResponse,
  toPaymentResponse,
} from './dto/payment.response.js';
import { PaymentsService } from './payments.service.js';

@ApiTags('payments')
@ApiBearerAuth()
@Controller('payment')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Pay held reservations with points, all or nothing',
    description:
      'Confirms the reservations, sells their seats, debits their total and ends the queue window (the next ' +
      'user is admitted). Send an Idempotency-Key to retry safely. Checked in this order: unknown 404, ' +
      "another user's 403, sales closed 409, already paid 409, lapsed 410, then the balance 402. " +
      "A PAUSED concert's holds can still be paid.",
  })
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiOkResponse({ type: PaymentResponse })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'INVALID_IDEMPOTENCY_KEY',
    'UNAUTHENTICATED',
    'INSUFFICIENT_POINTS',
    'RESERVATION_FORBIDDEN',
    'RESERVATION_NOT_FOUND',
    'SALES_CLOSED',
    'RESERVATION_ALREADY_PAID',
    'IDEMPOTENCY_KEY_IN_USE',
    'CONCURRENT_UPDATE',
    'RESERVATION_EXPIRED',
    'IDEMPOTENCY_KEY_REUSED',
  )
  async pay(
    @CurrentUser() user: AuthUser,
    @Body() dto: PayReservationsDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<PaymentResponse> {
    return toPaymentResponse(await this.payments.pay(user.id, dto.reservationIds, idempotencyKey));
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Payment id' })
  @ApiOperation({
    summary: "One of the caller's payments, with its reservations",
    description: "Another user's payment answers 404 like an unknown one.",
  })
  @ApiOkResponse({ type: PaymentDetailsResponse })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'PAYMENT_NOT_FOUND')
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) paymentId: string,
  ): Promise<PaymentDetailsResponse> {
    return toPaymentDetailsResponse(await this.payments.getPayment(user.id, paymentId));
  }
}
