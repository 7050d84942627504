import { Injectable } from '@nestjs/common';
import type {
  QueueState as ConcertListQueueState,
  QueueStateReader,
} from '../concerts/queue-state-reader.js';
import { humanizeWait } from './queue-position.js';
import { QueueService } from './queue.service.js';

/** Gives GET /concerts the caller's place in each listed concert's queue. */
@Injectable()
export class QueueStateReaderAdapter implements QueueStateReader {
  constructor(private readonly queue: QueueService) {}

  async forUser(userId: string, concertIds: string[]): Promise<Map<string, ConcertListQueueState>> {
    const states = await this.queue.statesForUser(userId, concertIds);
    const result = new Map<string, ConcertListQueueState>();
    for (const [concertId, state] of states) {
      result.set(concertId, {
        queuePosition: state.position,
        status: state.status,
        estimatedWaitTime: state.waitSeconds === null ? null : humanizeWait(state.waitSeconds),
      });
    }
    return result;
  }
}
