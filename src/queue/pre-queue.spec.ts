import {
  preQueueRetryAfterMs,
  RETURN_AFTER_OPENING_MS,
  RETURN_SPREAD_AFTER_OPENING_MS,
  RETURN_SPREAD_MS,
} from './pre-queue.js';

describe(preQueueRetryAfterMs.name, () => {
  const opening = new Date('2030-07-01T10:00:00Z');
  const before = (ms: number) => new Date(opening.getTime() - ms);

  it('brings the client back after the opening, never before it', () => {
    for (const random of [0, 0.5, 0.999]) {
      const wait = preQueueRetryAfterMs(opening, before(60_000), () => random);
      expect(wait).toBeGreaterThanOrEqual(60_000 + RETURN_AFTER_OPENING_MS);
      expect(wait).toBeLessThan(60_000 + RETURN_AFTER_OPENING_MS + RETURN_SPREAD_MS);
    }
  });

  it('spreads the returns over seconds, not into one', () => {
    const returns = new Set(
      Array.from({ length: 1000 }, (_, i) =>
        Math.floor(preQueueRetryAfterMs(opening, before(5_000), () => i / 1000) / 1000),
      ),
    );
    expect(returns.size).toBeGreaterThanOrEqual(RETURN_SPREAD_MS / 1000);
  });

  it('answers soon once the opening has passed and the draw is due', () => {
    const wait = preQueueRetryAfterMs(opening, new Date(opening.getTime() + 500), () => 0.999);
    expect(wait).toBeLessThan(RETURN_AFTER_OPENING_MS + RETURN_SPREAD_AFTER_OPENING_MS);
    expect(wait).toBeGreaterThanOrEqual(RETURN_AFTER_OPENING_MS);
  });
});
