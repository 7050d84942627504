import { Module } from '@nestjs/common';
import { DrawController } from './draw.controller.js';
import { QueueController } from './queue.controller.js';
import { QueueRepository } from './queue.repository.js';
import { QueueStateReaderAdapter } from './queue-state-reader.adapter.js';
import { QueueService } from './queue.service.js';
import { QueueSnapshots } from './queue-snapshots.js';
import { QueueTickets } from './queue-ticket.js';

@Module({
  controllers: [QueueController, DrawController],
  providers: [QueueService, QueueRepository, QueueSnapshots, QueueTickets, QueueStateReaderAdapter],
  exports: [QueueService, QueueStateReaderAdapter],
})
export class QueueModule {}
