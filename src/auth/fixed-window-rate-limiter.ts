export type RateLimitDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Window {
  hits: number;
  resetsAt: number;
}

/** Keys one limiter remembers at most: about 15 MB, whatever an attacker cycles through. */
export const DEFAULT_MAX_KEYS = 100_000;

/**
 * Counts hits per key in fixed windows that start at a key's first hit. In memory, so the limit
 * is per replica. At most `maxKeys` keys: when full, the key whose window started first goes
 * (the Map keeps creation order, and that window is the next to reset anyway), so an attacker
 * cycling addresses or emails costs bounded memory and can only shorten old windows.
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, Window>();
  private nextSweepAt = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = DEFAULT_MAX_KEYS,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  /** Counts one hit if the key is under its limit; a refused hit is not counted. */
  hit(key: string, now: number): RateLimitDecision {
    this.sweepExpired(now);
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      // Deleted and set again so that Map order stays the order windows started in.
      this.windows.delete(key);
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      window = { hits: 0, resetsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    if (window.hits >= this.limit)
      return { allowed: false, retryAfterSeconds: Math.ceil((window.resetsAt - now) / 1000) };
    window.hits++;
    return { allowed: true };
  }

  /** Takes back one hit of the key's current window (an attempt that turned out not to count). */
  refund(key: string, now: number): void {
    const window = this.windows.get(key);
    if (window && window.resetsAt > now && window.hits > 0) window.hits--;
  }

  /** At most once per window, so the map holds only keys seen in the last two windows. */
  private sweepExpired(now: number): void {
    if (now < this.nextSweepAt) return;
    for (const [key, window] of this.windows) if (window.resetsAt <= now) this.windows.delete(key);
    this.nextSweepAt = now + this.windowMs;
  }
}
