import { PerConcertCoalescer } from './per-concert-coalescer.js';

/** A job that records each run and holds it until released. */
function heldJob() {
  const runs: string[] = [];
  const releases: (() => void)[] = [];
  const job = (concertId: string) => {
    runs.push(concertId);
    return new Promise<void>((resolve) => releases.push(resolve));
  };
  const releaseNext = async () => {
    releases.shift()?.();
    // Let the coalescer see the finished run and start the next one.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { runs, job, releaseNext };
}

describe(PerConcertCoalescer.name, () => {
  it('runs a lone request at once', () => {
    const { runs, job } = heldJob();
    new PerConcertCoalescer(job, () => undefined).request('c1');
    expect(runs).toEqual(['c1']);
  });

  it('answers the requests made during a run with exactly one more run, after it', async () => {
    const { runs, job, releaseNext } = heldJob();
    const coalescer = new PerConcertCoalescer(job, () => undefined);
    coalescer.request('c1');
    for (let i = 0; i < 5; i++) coalescer.request('c1');
    expect(runs).toEqual(['c1']);

    await releaseNext();
    expect(runs).toEqual(['c1', 'c1']);
    await releaseNext();
    const idle = coalescer.idle();
    await expect(idle).resolves.toBeUndefined();
    expect(runs).toEqual(['c1', 'c1']);
  });

  it('runs different concerts side by side', () => {
    const { runs, job } = heldJob();
    const coalescer = new PerConcertCoalescer(job, () => undefined);
    coalescer.request('c1');
    coalescer.request('c2');
    expect(runs).toEqual(['c1', 'c2']);
  });

  it('reports a failed run and still makes the run asked for meanwhile', async () => {
    const failures: unknown[] = [];
    let calls = 0;
    let fail: (error: Error) => void = () => undefined;
    const coalescer = new PerConcertCoalescer(
      () => {
        calls += 1;
        return calls === 1 ? new Promise((_, reject) => (fail = reject)) : Promise.resolve();
      },
      (_concertId, error) => failures.push(error),
    );
    coalescer.request('c1');
    coalescer.request('c1');
    fail(new Error('database down'));
    await coalescer.idle();
    expect(failures).toEqual([new Error('database down')]);
    expect(calls).toBe(2);
  });
});
