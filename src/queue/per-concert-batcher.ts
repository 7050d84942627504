/** The most requests one statement serves; a bigger burst is split over several statements. */
export const MAX_BATCH = 500;

/** A user's answer from a batch; `repeated` marks a second request of that user in the same batch. */
export interface BatchAnswer<R> {
  result: R | undefined;
  repeated: boolean;
}

interface Waiter<Q, A> {
  request: Q;
  resolve(answer: A): void;
  reject(error: unknown): void;
}

/**
 * Coalesces concurrent requests about one concert into one statement. While a statement for a
 * concert runs, the requests that arrive meanwhile wait and then go out together as the next
 * statement, in arrival order. Under a burst that turns a round trip (and, for entries, a lock
 * on the queue row and a commit) per request into one per batch; a lone request still goes out
 * at once, and every answer comes from a statement that started after its request arrived.
 *
 * Written by hand: DataLoader and the like batch per event-loop tick or time window, which
 * would delay a lone request and would not follow the statement actually in flight.
 */
export class PerConcertRequestBatcher<Q, A> {
  private readonly pending = new Map<string, Waiter<Q, A>[]>();

  /** `runBatch` answers each request of a batch, in the batch's order. */
  constructor(private readonly runBatch: (concertId: string, requests: Q[]) => Promise<A[]>) {}

  load(concertId: string, request: Q): Promise<A> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(concertId);
      if (waiting) {
        waiting.push({ request, resolve, reject });
        return;
      }
      this.pending.set(concertId, [{ request, resolve, reject }]);
      void this.drain(concertId);
    });
  }

  private async drain(concertId: string): Promise<void> {
    const waiting = this.pending.get(concertId)!;
    while (waiting.length) {
      const batch = waiting.splice(0, MAX_BATCH);
      try {
        const answers = await this.runBatch(
          concertId,
          batch.map((waiter) => waiter.request),
        );
        batch.forEach((waiter, i) => waiter.resolve(answers[i]!));
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.pending.delete(concertId);
  }
}

/**
 * A PerConcertRequestBatcher of users, each sent once per statement: `runBatch` gets the batch's
 * distinct users in arrival order and answers a row per user it found.
 */
export class PerConcertBatcher<R> {
  private readonly batcher: PerConcertRequestBatcher<string, BatchAnswer<R>>;

  constructor(runBatch: (concertId: string, userIds: string[]) => Promise<Map<string, R>>) {
    this.batcher = new PerConcertRequestBatcher(async (concertId, userIds) => {
      const results = await runBatch(concertId, [...new Set(userIds)]);
      const answered = new Set<string>();
      return userIds.map((userId) => {
        const answer = { result: results.get(userId), repeated: answered.has(userId) };
        answered.add(userId);
        return answer;
      });
    });
  }

  /** The user's row from the batch, or undefined when the statement returned none for them. */
  load(concertId: string, userId: string): Promise<BatchAnswer<R>> {
    return this.batcher.load(concertId, userId);
  }
}

/**
 * A batch whose requests must each be answered as alone: a lone request by `alone`; several by
 * `together` (one statement), or, when that fails (it rolled back as a whole: a deadlock, a lost
 * connection), each by `alone` once, one after the other in arrival order, so that no request is
 * refused or turned into a 500 by another's failure.
 */
export async function togetherOrEachAlone<Q, A>(
  requests: readonly Q[],
  together: (requests: readonly Q[]) => Promise<PromiseSettledResult<A>[]>,
  alone: (request: Q) => Promise<A>,
): Promise<PromiseSettledResult<A>[]> {
  if (requests.length > 1) {
    try {
      return await together(requests);
    } catch {
      // Answered below, each alone.
    }
  }
  const answers: PromiseSettledResult<A>[] = [];
  for (const request of requests) answers.push(...(await Promise.allSettled([alone(request)])));
  return answers;
}
