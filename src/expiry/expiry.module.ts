import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { IdempotencyModule } from '../common/idempotency/idempotency.module.js';
import { ConcertsModule } from '../concerts/concerts.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { ReservationsModule } from '../reservations/reservations.module.js';
import { ExpirySweeper } from './expiry-sweeper.js';

@Module({
  imports: [ScheduleModule.forRoot(), ConcertsModule, QueueModule, ReservationsModule, IdempotencyModule],
  providers: [ExpirySweeper],
  exports: [ExpirySweeper],
})
export class ExpiryModule {}
