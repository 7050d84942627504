import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { PaymentStatus } from '../../generated/prisma/enums.js';
import { ReservationResponse, toReservationResponse } from '../../reservations/dto/reservation.response.js';
import type { PaymentDetails, PaymentReceipt } from '../payments.service.js';

export class PaymentResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.paymentId })
  paymentId!: string;

  @ApiProperty({
    type: [String],
    format: 'uuid',
    example: [EXAMPLE.reservationId, EXAMPLE.otherReservationId],
  })
  reservationIds!: string[];

  @ApiProperty({ type: 'integer', description: 'Points debited', example: 100_000 })
  totalAmount!: number;

  @ApiProperty({ enum: PaymentStatus, enumName: 'PaymentStatus', example: PaymentStatus.COMPLETED })
  status!: PaymentStatus;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  createdAt!: string;
}

export class PaymentDetailsResponse extends PaymentResponse {
  @ApiProperty({ type: [ReservationResponse] })
  reservations!: ReservationResponse[];
}

export function toPaymentResponse(receipt: PaymentReceipt): PaymentResponse {
  return {
    paymentId: receipt.paymentId,
    reservationIds: receipt.reservationIds,
    totalAmount: receipt.totalAmount,
    status: receipt.status,
    createdAt: receipt.createdAt,
  };
}

export function toPaymentDetailsResponse(details: PaymentDetails): PaymentDetailsResponse {
  return { ...toPaymentResponse(details), reservations: details.reservations.map(toReservationResponse) };
}
