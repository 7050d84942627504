import { humanizeWait } from '../queue-position.js';
import type { QueueState } from '../queue.service.js';
import type { QueueEntryResponse } from './queue-entry.response.js';

export function toQueueEntryResponse(userId: string, state: QueueState): QueueEntryResponse {
  return {
    userId,
    concertId: state.concertId,
    queuePosition: state.position,
    status: state.status,
    estimatedWaitTime: state.waitSeconds === null ? null : humanizeWait(state.waitSeconds),
    estimatedWaitSeconds: state.waitSeconds,
    expiresAt: state.expiresAt?.toISOString() ?? null,
    claimBy: state.claimBy?.toISOString() ?? null,
    retryAfterMs: state.retryAfterMs,
    asOf: state.asOf.toISOString(),
    queueTicket: state.queueTicket,
    ...(state.entryId && { entryId: state.entryId }),
    ...(state.salesOpenAt !== undefined && { salesOpenAt: state.salesOpenAt?.toISOString() ?? null }),
  };
}
