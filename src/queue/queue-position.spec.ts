import {
  ACTIVE_POLL_MS,
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
    expect(
      estimateWaitSeconds({ position: 5, capacity: 5, windowSeconds: 300, admissionsPerSecond: null }),
    ).toBe(0);
  });

  it('falls back to whole windows per batch of capacity without a measured admission rate', () => {
    expect(
      estimateWaitSeconds({ position: 6, capacity: 5, windowSeconds: 300, admissionsPerSecond: null }),
    ).toBe(300);
    expect(
      estimateWaitSeconds({ position: 16, capacity: 5, windowSeconds: 300, admissionsPerSecond: null }),
    ).toBe(900);
  });

  it('uses the measured admission rate when there is one', () => {
    expect(
      estimateWaitSeconds({ position: 25, capacity: 5, windowSeconds: 300, admissionsPerSecond: 0.5 }),
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
  const waiting = (position: number, waitSeconds: number) =>
    ({ status: 'WAITING', position, capacity: 5, waitSeconds }) as const;

  it('polls about every second within a capacity of the front, whatever the estimate', () => {
    expect(retryAfterMs(waiting(10, 300), () => 0.5)).toBe(MIN_POLL_MS);
    expect(retryAfterMs(waiting(10, 300), () => 1)).toBe(1_200);
  });

  it('polls by the estimate farther back, at most once a minute', () => {
    expect(retryAfterMs(waiting(11, 100), () => 0.5)).toBe(10_000);
    expect(retryAfterMs(waiting(500, 100_000), () => 1)).toBe(MAX_POLL_MS);
  });

  it('spreads clients with jitter', () => {
    expect(retryAfterMs(waiting(50, 100), () => 0)).toBe(8_000);
    expect(retryAfterMs(waiting(50, 100), () => 1)).toBe(12_000);
  });

  it('never asks an active user to come back after the window ends', () => {
    expect(retryAfterMs({ status: 'ACTIVE', msLeft: 300_000, claimed: true }, () => 0.5)).toBe(
      ACTIVE_POLL_MS,
    );
    expect(retryAfterMs({ status: 'ACTIVE', msLeft: 4_200, claimed: true }, () => 1)).toBe(4_200);
    expect(retryAfterMs({ status: 'ACTIVE', msLeft: -5, claimed: true }, () => 1)).toBe(0);
  });

  it('asks an admitted user whose place is unclaimed to come within a second', () => {
    expect(retryAfterMs({ status: 'ACTIVE', msLeft: 30_000, claimed: false }, () => 1)).toBe(MIN_POLL_MS);
    expect(retryAfterMs({ status: 'ACTIVE', msLeft: 400, claimed: false }, () => 1)).toBe(400);
  });
});
