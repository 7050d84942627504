/**
 * Runs one job per concert at a time, and coalesces the requests for it: a request while
 * the concert's job is running asks for one more run after it, however many such requests
 * arrive. So every request is followed by a run that started after it (and sees what it
 * committed), and a burst of a thousand requests costs two runs, not a thousand.
 *
 * Written by hand for the same reason as PerConcertBatcher: a debounce or a timer would delay
 * the lone request, and would not follow the run actually in flight.
 */
export class PerConcertCoalescer {
  /** Concerts with a job running, and whether another run was asked for meanwhile. */
  private readonly running = new Map<string, { again: boolean; done: Promise<void> }>();

  constructor(
    private readonly job: (concertId: string) => Promise<unknown>,
    private readonly onError: (concertId: string, error: unknown) => void,
  ) {}

  /** Runs the concert's job now, or once more after the run in flight. Never throws. */
  request(concertId: string): void {
    const run = this.running.get(concertId);
    if (run) {
      run.again = true;
      return;
    }
    const state = { again: true, done: Promise.resolve() };
    this.running.set(concertId, state);
    state.done = this.drain(concertId, state);
  }

  /** Resolves when no job is running or asked for. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()].map((run) => run.done));
  }

  private async drain(concertId: string, state: { again: boolean }): Promise<void> {
    while (state.again) {
      state.again = false;
      try {
        await this.job(concertId);
      } catch (error) {
        this.onError(concertId, error);
      }
    }
    this.running.delete(concertId);
  }
}
