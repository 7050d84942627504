import { Module } from '@nestjs/common';
import { AdminConcertsController } from './admin-concerts.controller.js';
import { AvailableDatesController } from './available-dates.controller.js';
import { ConcertsController } from './concerts.controller.js';
import { ConcertsRepository } from './concerts.repository.js';
import { ConcertsService } from './concerts.service.js';
import { QueueModule } from '../queue/queue.module.js';
import { QueueStateReaderAdapter } from '../queue/queue-state-reader.adapter.js';
import { QUEUE_STATE_READER } from './queue-state-reader.js';

@Module({
  imports: [QueueModule],
  controllers: [AdminConcertsController, ConcertsController, AvailableDatesController],
  providers: [
    ConcertsService,
    ConcertsRepository,
    { provide: QUEUE_STATE_READER, useExisting: QueueStateReaderAdapter },
  ],
  exports: [ConcertsService],
})
export class ConcertsModule {}
