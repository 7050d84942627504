import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { QueueModule } from '../queue/queue.module.js';
import { ReservationsModule } from '../reservations/reservations.module.js';
import { ExpirySweeper } from './expiry-sweeper.js';

@Module({
  imports: [ScheduleModule.forRoot(), QueueModule, ReservationsModule],
  providers: [ExpirySweeper],
  exports: [ExpirySweeper],
})
export class ExpiryModule {}
