/** The caller's place in one concert's queue, as GET /concerts shows it. */
export interface QueueState {
  /** Null in the pre-queue: places are drawn at the opening. */
  queuePosition: number | null;
  status: 'PRE_QUEUE' | 'ACTIVE' | 'WAITING';
  estimatedWaitTime: string | null;
}

/** Implemented by the queue feature; ConcertsService asks it for the caller's queue state per concert. */
export interface QueueStateReader {
  /** Only concerts where the user has a live (WAITING or ACTIVE) entry appear in the map. */
  forUser(userId: string, concertIds: string[]): Promise<Map<string, QueueState>>;
}

export const QUEUE_STATE_READER = Symbol('QUEUE_STATE_READER');
