import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { PayReservationsDto } from './dto/pay-reservations.dto.js';
import {
  toPaymentDetailsResponse,
  toPaymentResponse,
  type PaymentDetailsResponse,
  type PaymentResponse,
} from './dto/payment.response.js';
import { PaymentsService } from './payments.service.js';

@Controller('payment')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @HttpCode(200)
  async pay(
    @CurrentUser() user: AuthUser,
    @Body() dto: PayReservationsDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<PaymentResponse> {
    return toPaymentResponse(await this.payments.pay(user.id, dto.reservationIds, idempotencyKey));
  }

  @Get(':id')
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) paymentId: string,
  ): Promise<PaymentDetailsResponse> {
    return toPaymentDetailsResponse(await this.payments.getPayment(user.id, paymentId));
  }
}
