import { Module } from '@nestjs/common';
import { DrawController } from './draw.controller.js';
import { QueueController } from './queue.controller.js';
import { QueueExits } from './queue-exits.js';
import { QueuePollFastPath } from './queue-poll-fast-path.js';
import { QueueRepository } from './queue.repository.js';
import { QueueStateReaderAdapter } from './queue-state-reader.adapter.js';
import { QueueService } from './queue.service.js';
import { QueueSnapshots } from './queue-snapshots.js';
import { QueueTickets } from './queue-ticket.js';

@Module({
  controllers: [QueueController, DrawController],
  providers: [
    QueueService,
    QueuePollFastPath,
    QueueRepository,
    QueueSnapshots,
    QueueTickets,
    QueueStateReaderAdapter,
    QueueExits,
  ],
  exports: [QueueService, QueuePollFastPath, QueueStateReaderAdapter, QueueExits],
})
export class QueueModule {}
