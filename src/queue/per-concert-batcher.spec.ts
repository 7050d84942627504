import {
  MAX_BATCH,
  PerConcertBatcher,
  PerConcertRequestBatcher,
  togetherOrEachAlone,
} from './per-concert-batcher.js';

/** A fake statement: records each batch, holds the first one until released, numbers users in order. */
function recordingStatement() {
  const batches: string[][] = [];
  let counter = 0;
  let release: (() => void) | null = null;
  const statement = async (_concertId: string, userIds: string[]) => {
    batches.push(userIds);
    if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
    return new Map(userIds.map((userId) => [userId, ++counter]));
  };
  return { batches, statement, releaseFirst: () => release?.() };
}

describe(PerConcertBatcher.name, () => {
  it('sends a lone request at once', async () => {
    const batcher = new PerConcertBatcher<number>(async (_c, userIds) => new Map(userIds.map((u) => [u, 7])));
    await expect(batcher.load('c1', 'u1')).resolves.toEqual({ result: 7, repeated: false });
  });

  it('groups the requests that arrive while a statement runs, in arrival order', async () => {
    const { batches, statement, releaseFirst } = recordingStatement();
    const batcher = new PerConcertBatcher<number>(statement);
    const first = batcher.load('c1', 'u1');
    const rest = ['u2', 'u3', 'u4'].map((userId) => batcher.load('c1', userId));
    releaseFirst();
    const answers = await Promise.all([first, ...rest]);
    expect(batches).toEqual([['u1'], ['u2', 'u3', 'u4']]);
    expect(answers.map((answer) => answer.result)).toEqual([1, 2, 3, 4]);
  });

  it('sends a user once per batch and marks their second request as repeated', async () => {
    const { batches, statement, releaseFirst } = recordingStatement();
    const batcher = new PerConcertBatcher<number>(statement);
    const first = batcher.load('c1', 'u0');
    const twice = [batcher.load('c1', 'u1'), batcher.load('c1', 'u1')];
    releaseFirst();
    await first;
    expect(await Promise.all(twice)).toEqual([
      { result: 2, repeated: false },
      { result: 2, repeated: true },
    ]);
    expect(batches[1]).toEqual(['u1']);
  });

  it('keeps concerts apart', async () => {
    const { batches, statement, releaseFirst } = recordingStatement();
    const batcher = new PerConcertBatcher<number>(statement);
    const a = batcher.load('c1', 'u1');
    const b = batcher.load('c2', 'u2');
    releaseFirst();
    await Promise.all([a, b]);
    expect(batches).toEqual([['u1'], ['u2']]);
  });

  it('splits a burst bigger than one batch', async () => {
    const { batches, statement, releaseFirst } = recordingStatement();
    const batcher = new PerConcertBatcher<number>(statement);
    const first = batcher.load('c1', 'u0');
    const burst = Array.from({ length: MAX_BATCH + 1 }, (_, i) => batcher.load('c1', `u${i + 1}`));
    releaseFirst();
    await Promise.all([first, ...burst]);
    expect(batches.map((batch) => batch.length)).toEqual([1, MAX_BATCH, 1]);
  });

  it('fails every waiter of a failed batch and goes on with the next one', async () => {
    let calls = 0;
    const batcher = new PerConcertBatcher<number>(async (_c, userIds) => {
      calls++;
      if (calls === 1) throw new Error('database down');
      return new Map(userIds.map((u) => [u, calls]));
    });
    await expect(batcher.load('c1', 'u1')).rejects.toThrow('database down');
    await expect(batcher.load('c1', 'u2')).resolves.toEqual({ result: 2, repeated: false });
  });
});

describe(PerConcertRequestBatcher.name, () => {
  it('answers each request of a batch its own answer, a user’s two requests each theirs', async () => {
    const batches: string[][] = [];
    let release: (() => void) | null = null;
    const batcher = new PerConcertRequestBatcher<string, string>(async (_c, requests) => {
      batches.push(requests);
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return requests.map((request) => `answer to ${request}`);
    });
    const first = batcher.load('c1', 'u1 page 1');
    const rest = ['u2 page 1', 'u1 page 2', 'u1 page 1'].map((request) => batcher.load('c1', request));
    release!();
    expect(await Promise.all([first, ...rest])).toEqual([
      'answer to u1 page 1',
      'answer to u2 page 1',
      'answer to u1 page 2',
      'answer to u1 page 1',
    ]);
    expect(batches).toEqual([['u1 page 1'], ['u2 page 1', 'u1 page 2', 'u1 page 1']]);
  });
});

describe(togetherOrEachAlone.name, () => {
  const alone = async (request: string) => {
    if (request === 'bad') throw new Error('bad alone');
    return `${request} alone`;
  };

  it('answers several together, and a lone request alone', async () => {
    const together = async (requests: readonly string[]) =>
      requests.map((request) => ({ status: 'fulfilled' as const, value: `${request} together` }));
    expect(await togetherOrEachAlone(['a', 'b'], together, alone)).toEqual([
      { status: 'fulfilled', value: 'a together' },
      { status: 'fulfilled', value: 'b together' },
    ]);
    expect(await togetherOrEachAlone(['a'], together, alone)).toEqual([
      { status: 'fulfilled', value: 'a alone' },
    ]);
  });

  it('answers each alone, in order, when together fails: one failure stays its own', async () => {
    const order: string[] = [];
    const answers = await togetherOrEachAlone(
      ['a', 'bad', 'c'],
      async () => {
        throw new Error('deadlock');
      },
      async (request) => {
        order.push(request);
        return alone(request);
      },
    );
    expect(order).toEqual(['a', 'bad', 'c']);
    expect(answers.map((answer) => answer.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
