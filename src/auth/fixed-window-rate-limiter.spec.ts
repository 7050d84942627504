import { FixedWindowRateLimiter } from './fixed-window-rate-limiter.js';

describe(FixedWindowRateLimiter.name, () => {
  const start = 1_000_000;

  it('allows `limit` hits per window and then says how long to wait', () => {
    const sut = new FixedWindowRateLimiter(2, 60_000);

    expect(sut.hit('ip', start)).toEqual({ allowed: true });
    expect(sut.hit('ip', start + 1_000)).toEqual({ allowed: true });
    expect(sut.hit('ip', start + 20_500)).toEqual({ allowed: false, retryAfterSeconds: 40 });
  });

  it('opens a new window once the old one has passed', () => {
    const sut = new FixedWindowRateLimiter(1, 60_000);
    sut.hit('ip', start);
    expect(sut.hit('ip', start + 59_999).allowed).toBe(false);

    expect(sut.hit('ip', start + 60_000)).toEqual({ allowed: true });
  });

  it('counts keys separately', () => {
    const sut = new FixedWindowRateLimiter(1, 60_000);
    sut.hit('a', start);

    expect(sut.hit('b', start)).toEqual({ allowed: true });
    expect(sut.hit('a', start).allowed).toBe(false);
  });

  it('rounds the wait up to whole seconds', () => {
    const sut = new FixedWindowRateLimiter(1, 60_000);
    sut.hit('ip', start);
    expect(sut.hit('ip', start + 59_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });
});
