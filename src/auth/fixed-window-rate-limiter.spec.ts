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

describe(`${FixedWindowRateLimiter.name}: refunds and memory`, () => {
  const start = 1_000_000;

  it('does not count refused hits, and a refund frees one hit of the current window', () => {
    const sut = new FixedWindowRateLimiter(2, 60_000);
    sut.hit('ip', start);
    sut.hit('ip', start);
    expect(sut.hit('ip', start).allowed).toBe(false);
    expect(sut.hit('ip', start).allowed).toBe(false);

    sut.refund('ip', start + 1);
    expect(sut.hit('ip', start + 2)).toEqual({ allowed: true });
    expect(sut.hit('ip', start + 3).allowed).toBe(false);
  });

  it('keeps at most maxKeys keys, dropping the window that started first', () => {
    const sut = new FixedWindowRateLimiter(1, 60_000, 3);
    for (let i = 0; i < 1_000; i++) sut.hit(`attacker-${i}`, start + i);
    expect(sut.size).toBe(3);

    sut.hit('a', start + 2_000);
    sut.hit('b', start + 2_001);
    sut.hit('c', start + 2_002);
    sut.hit('d', start + 2_003);
    expect(sut.size).toBe(3);
    // 'a' was dropped (fresh again); 'b', 'c', 'd' are still limited.
    expect(sut.hit('b', start + 2_004).allowed).toBe(false);
    expect(sut.hit('d', start + 2_004).allowed).toBe(false);
  });
});
