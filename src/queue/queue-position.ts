/**
 * A position is derived from counters, not counted. Tickets are dense per concert and
 * admission is strictly in ticket order, so every entry ever admitted has a lower ticket
 * than any entry still waiting. For a waiting ticket t:
 *
 *   waiting ahead = (t - 1) - admitted so far - departed (left while waiting) with a ticket < t
 *   position      = active now + waiting ahead + 1
 *
 * Null when the counters say ticket t is not waiting: it was admitted (waiting ahead < 0)
 * or it departed. An active entry's position is its rank among the (at most capacity)
 * active entries, read from the database.
 */
export function waitingPosition(input: {
  ticket: number;
  activeCount: number;
  activatedCount: number;
  departedBelow: number;
  departed: boolean;
}): number | null {
  if (input.departed) return null;
  const waitingAhead = input.ticket - 1 - input.activatedCount - input.departedBelow;
  return waitingAhead < 0 ? null : input.activeCount + waitingAhead + 1;
}

/**
 * Seconds until a waiting user's window opens: the places that must free up before theirs
 * (position - capacity), at the admission rate measured over the last minutes when there is
 * one (windows ended early by payment, leave or no-show admit sooner, so they count),
 * otherwise assuming each active user uses their whole window.
 */
export function estimateWaitSeconds(input: {
  position: number;
  capacity: number;
  windowSeconds: number;
  admissionsPerSecond: number | null;
}): number {
  const admissionsNeeded = Math.max(0, input.position - input.capacity);
  if (admissionsNeeded === 0) return 0;
  if (input.admissionsPerSecond) return Math.ceil(admissionsNeeded / input.admissionsPerSecond);
  return input.windowSeconds * Math.ceil(admissionsNeeded / input.capacity);
}

/** "less than a minute", "1 minute", "10 minutes", "2 hours 5 minutes". */
export function humanizeWait(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const hourText = hours === 1 ? '1 hour' : `${hours} hours`;
  return rest ? `${hourText} ${rest === 1 ? '1 minute' : `${rest} minutes`}` : hourText;
}

export const MIN_POLL_MS = 1_000;
export const MAX_POLL_MS = 60_000;
/** An open window's "still open" poll; never later than the window's end. */
export const ACTIVE_POLL_MS = 30_000;

export type PollInput =
  | { status: 'ACTIVE'; msLeft: number; claimed: boolean }
  | { status: 'WAITING'; position: number; capacity: number; waitSeconds: number };

/**
 * When to poll again, with ±20% jitter so that clients spread out instead of arriving
 * together. A waiting user within a capacity's distance of the front can be admitted by any
 * one window ending (a payment, a leave, a no-show), and an admitted place must be claimed
 * within the claim time: about a second. Farther back, about ten polls over the expected
 * wait, up to a minute. An active user only needs to learn that the window is still open,
 * and never later than the window's end; one whose place is not claimed yet should come now
 * (any request claims it), so about a second.
 */
export function retryAfterMs(input: PollInput, random: () => number = Math.random): number {
  const jitter = 0.8 + 0.4 * random();
  if (input.status === 'ACTIVE') {
    const base = input.claimed ? ACTIVE_POLL_MS * jitter : MIN_POLL_MS;
    return Math.max(0, Math.round(Math.min(base, input.msLeft)));
  }
  const nearFront = input.position - input.capacity <= input.capacity;
  const base = nearFront ? MIN_POLL_MS : (input.waitSeconds * 1000) / 10;
  const clamped = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, base));
  return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, clamped * jitter)));
}
