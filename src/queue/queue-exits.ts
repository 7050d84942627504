import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma/prisma.service.js';
import { QueueRepository, type QueueExit } from './queue.repository.js';

/** How long after its end an entry's exit reason is told (410 QUEUE_ENTRY_ENDED, the gate's reason). */
export const EXIT_REASON_SECONDS = 3_600;

/** Why a user's place in a concert's queue ended: read only on the way to an error answer. */
@Injectable()
export class QueueExits {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: QueueRepository,
  ) {}

  /** The latest end within EXIT_REASON_SECONDS, or null (never entered, or long ago). */
  latest(userId: string, concertId: string): Promise<QueueExit | null> {
    return this.repo.findLatestExit(this.prisma, concertId, userId, EXIT_REASON_SECONDS);
  }
}
