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
 * (position - capacity), at the measured outflow when there is one, otherwise assuming
 * each active user uses their whole window.
 */
export function estimateWaitSeconds(input: {
  position: number;
  capacity: number;
  windowSeconds: number;
  outflowPerSecond: number;
}): number {
  const departuresNeeded = Math.max(0, input.position - input.capacity);
  if (departuresNeeded === 0) return 0;
  if (input.outflowPerSecond > 0) return Math.ceil(departuresNeeded / input.outflowPerSecond);
  return input.windowSeconds * Math.ceil(departuresNeeded / input.capacity);
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

/**
 * When to poll again: about ten polls over the expected wait, between one second near
 * the front and a minute far back, with ±20% jitter so that clients spread out instead
 * of arriving together. An active user only needs to learn that the window is still open.
 */
export function retryAfterMs(
  input: { status: 'ACTIVE' | 'WAITING'; waitSeconds: number },
  random: () => number = Math.random,
): number {
  const base = input.status === 'ACTIVE' ? 30_000 : (input.waitSeconds * 1000) / 10;
  const clamped = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, base));
  const jittered = clamped * (0.8 + 0.4 * random());
  return Math.round(Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, jittered)));
}
