/** The caller's place in one concert's queue. */
export class QueueEntryResponse {
  userId!: string;
  concertId!: string;
  /** 1-based; positions 1..capacity are ACTIVE. */
  queuePosition!: number;
  status!: 'ACTIVE' | 'WAITING';
  /** Human-readable ("10 minutes"); null while active. */
  estimatedWaitTime!: string | null;
  estimatedWaitSeconds!: number | null;
  /** End of the active window (ISO 8601); null while waiting. */
  expiresAt!: string | null;
  /** Poll again after this many milliseconds (also sent as Retry-After). */
  retryAfterMs!: number;
}
