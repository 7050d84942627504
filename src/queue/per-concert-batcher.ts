/** The most users one statement serves; a bigger burst is split over several statements. */
export const MAX_BATCH = 500;

/** A user's answer from a batch; `repeated` marks a second request of that user in the same batch. */
export interface BatchAnswer<R> {
  result: R | undefined;
  repeated: boolean;
}

interface Waiter<R> {
  userId: string;
  resolve(answer: BatchAnswer<R>): void;
  reject(error: unknown): void;
}

/**
 * Coalesces concurrent requests about one concert's queue into one statement. While a
 * statement for a concert runs, the requests that arrive meanwhile wait and then go out
 * together as the next statement, in arrival order. Under a burst that turns a round trip
 * (and, for entries, a lock on the queue row and a commit) per user into one per batch;
 * a lone request still goes out at once.
 *
 * Written by hand: DataLoader and the like batch per event-loop tick or time window, which
 * would delay a lone request and would not follow the statement actually in flight.
 */
export class PerConcertBatcher<R> {
  private readonly pending = new Map<string, Waiter<R>[]>();

  constructor(private readonly runBatch: (concertId: string, userIds: string[]) => Promise<Map<string, R>>) {}

  /** The user's row from the batch, or undefined when the statement returned none for them. */
  load(concertId: string, userId: string): Promise<BatchAnswer<R>> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(concertId);
      if (waiting) {
        waiting.push({ userId, resolve, reject });
        return;
      }
      this.pending.set(concertId, [{ userId, resolve, reject }]);
      void this.drain(concertId);
    });
  }

  private async drain(concertId: string): Promise<void> {
    const waiting = this.pending.get(concertId)!;
    while (waiting.length) {
      const batch = waiting.splice(0, MAX_BATCH);
      try {
        const results = await this.runBatch(concertId, [...new Set(batch.map((waiter) => waiter.userId))]);
        const answered = new Set<string>();
        for (const waiter of batch) {
          waiter.resolve({ result: results.get(waiter.userId), repeated: answered.has(waiter.userId) });
          answered.add(waiter.userId);
        }
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.pending.delete(concertId);
  }
}
