import type { PaymentStatus } from '../../generated/prisma/enums.js';
import {
  toReservationResponse,
  type ReservationResponse,
} from '../../reservations/dto/reservation.response.js';
import type { PaymentDetails, PaymentReceipt } from '../payments.service.js';

export class PaymentResponse {
  paymentId!: string;
  reservationIds!: string[];
  totalAmount!: number;
  status!: PaymentStatus;
  createdAt!: string;
}

export class PaymentDetailsResponse extends PaymentResponse {
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
