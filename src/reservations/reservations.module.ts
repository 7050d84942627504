import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module.js';
import { ReservationsController } from './reservations.controller.js';
import { HoldFastRoute, SeatMapFastRoute } from './reservations.fast-routes.js';
import { ReservationsRepository } from './reservations.repository.js';
import { ReservationsService } from './reservations.service.js';

/** Exports ReservationsService: payments read the reservations they confirmed through it, the sweeper expires holds. */
@Module({
  imports: [QueueModule],
  controllers: [ReservationsController],
  providers: [ReservationsService, ReservationsRepository, SeatMapFastRoute, HoldFastRoute],
  exports: [ReservationsService],
})
export class ReservationsModule {}
