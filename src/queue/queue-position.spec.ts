import {
  estimateWaitSeconds,
  humanizeWait,
  MAX_POLL_MS,
  MIN_POLL_MS,
  retryAfterMs,
  waitingPosition,
} from './queue-position.js';

describe('waitingPosition', () => {
  const base = { activeCount: 5, activatedCount: 10, departedBelow: 0, departed: false };

  it('places a waiting entry after the active ones and the waiting ahead of it', () => {
    // Tickets 1..10 admitted (5 still active), ticket 11..14 waiting ahead, 15 is ours.
    expect(waitingPosition({ ...base, ticket: 15 })).toBe(10);
  });

  it('skips the users who left while waiting ahead of it', () => {
    expect(waitingPosition({ ...base, ticket: 15, departedBelow: 3 })).toBe(7);
  });

  it('gives the first waiting user capacity + 1', () => {
    expect(waitingPosition({ ...base, activatedCount: 5, ticket: 6 })).toBe(6);
  });

  it('is null for a ticket already admitted or departed: the truth must be read', () => {
    expect(waitingPosition({ ...base, ticket: 10 })).toBeNull();
    expect(waitingPosition({ ...base, ticket: 13, departedBelow: 3 })).toBeNull();
    expect(waitingPosition({ ...base, ticket: 15, departed: true })).toBeNull();
  });
});

describe('estimateWaitSeconds', () => {
  it('is zero for a position inside the capacity', () => {
    expect(estimateWaitSeconds({ position: 5, capacity: 5, windowSeconds: 300, outflowPerSecond: 0 })).toBe(
      0,
    );
  });

  it('falls back to whole windows per batch of capacity without measured outflow', () => {
    expect(estimateWaitSeconds({ position: 6, capacity: 5, windowSeconds: 300, outflowPerSecond: 0 })).toBe(
      300,
    );
    expect(estimateWaitSeconds({ position: 16, capacity: 5, windowSeconds: 300, outflowPerSecond: 0 })).toBe(
      900,
    );
  });

  it('uses the measured outflow when there is one', () => {
    expect(
      estimateWaitSeconds({ position: 25, capacity: 5, windowSeconds: 300, outflowPerSecond: 0.5 }),
    ).toBe(40);
  });
});

describe('humanizeWait', () => {
  it.each([
    [0, 'less than a minute'],
    [59, 'less than a minute'],
    [60, '1 minute'],
    [600, '10 minutes'],
    [3600, '1 hour'],
    [3900, '1 hour 5 minutes'],
    [7260, '2 hours 1 minute'],
  ])('%i s reads "%s"', (seconds, text) => {
    expect(humanizeWait(seconds)).toBe(text);
  });
});

describe('retryAfterMs', () => {
  it('polls about every second near the front', () => {
    expect(retryAfterMs({ status: 'WAITING', waitSeconds: 0 }, () => 0.5)).toBe(MIN_POLL_MS);
  });

  it('polls at most once a minute far back', () => {
    expect(retryAfterMs({ status: 'WAITING', waitSeconds: 100_000 }, () => 1)).toBe(MAX_POLL_MS);
  });

  it('spreads clients with jitter', () => {
    const low = retryAfterMs({ status: 'WAITING', waitSeconds: 100 }, () => 0);
    const high = retryAfterMs({ status: 'WAITING', waitSeconds: 100 }, () => 1);
    expect(low).toBe(8_000);
    expect(high).toBe(12_000);
  });
});
