import { QueueNotActiveError } from '../../src/queue/queue.errors.js';
import type { QueueService } from '../../src/queue/queue.service.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import type { PublicOf } from './fake.js';

type QueueGate = Pick<PublicOf<QueueService>, 'assertActiveWindow' | 'completeWindow'>;

/**
 * The two QueueService methods reservations and payments call: open windows per user and
 * concert, and the windows completed by payments. completeWindow appends to `locks`,
 * as it locks the concert's queue row.
 */
export class InMemoryQueueWindows implements QueueGate {
  private readonly open = new Set<string>();
  readonly completed: { userId: string; concertId: string }[] = [];

  constructor(private readonly locks: string[] = []) {}

  openWindow(userId: string, concertId: string): void {
    this.open.add(`${userId}:${concertId}`);
  }

  async assertActiveWindow(userId: string, concertId: string): Promise<void> {
    if (!this.open.has(`${userId}:${concertId}`)) throw new QueueNotActiveError(concertId);
  }

  async completeWindow(_tx: Tx, userId: string, concertId: string): Promise<void> {
    this.locks.push(`queue:${concertId}`);
    if (this.open.delete(`${userId}:${concertId}`)) this.completed.push({ userId, concertId });
  }

  /** Only the gate methods exist; the services under test call nothing else. */
  asQueueService(): QueueService {
    return this as unknown as QueueService;
  }
}
