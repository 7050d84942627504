import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../common/idempotency/idempotency.module.js';
import { PointsController } from './points.controller.js';
import { PointsRepository } from './points.repository.js';
import { PointsService } from './points.service.js';

/** Exports PointsService (payments debits inside its transaction) and the idempotency component. */
@Module({
  imports: [IdempotencyModule],
  controllers: [PointsController],
  providers: [PointsService, PointsRepository],
  exports: [PointsService, IdempotencyModule],
})
export class PointsModule {}
