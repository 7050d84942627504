import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../common/idempotency/idempotency.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { ReservationsModule } from '../reservations/reservations.module.js';
import { PaymentsController } from './payments.controller.js';
import { PaymentFastRoute } from './payment.fast-route.js';
import { PaymentsRepository } from './payments.repository.js';
import { PaymentsService } from './payments.service.js';

@Module({
  imports: [ReservationsModule, IdempotencyModule, QueueModule],
  controllers: [PaymentsController],
  providers: [PaymentsService, PaymentsRepository, PaymentFastRoute],
})
export class PaymentsModule {}
