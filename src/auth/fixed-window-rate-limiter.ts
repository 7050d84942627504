export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Window {
  hits: number;
  resetsAt: number;
}

/**
 * Counts hits per key in fixed windows that start at a key's first hit. In memory, so
 * the limit is per instance, the same trade-off as @nestjs/throttler's default storage.
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  hit(key: string, now: number): RateLimitDecision {
    this.sweepExpired(now);
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      window = { hits: 0, resetsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.hits++;
    if (window.hits <= this.limit) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.ceil((window.resetsAt - now) / 1000) };
  }

  /** At most once per window, so the map holds only keys seen in the last two windows. */
  private sweepExpired(now: number): void {
    if (now < this.nextSweepAt) return;
    for (const [key, window] of this.windows) if (window.resetsAt <= now) this.windows.delete(key);
    this.nextSweepAt = now + this.windowMs;
  }
}
