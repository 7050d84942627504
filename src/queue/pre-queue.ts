/**
 * When a pre-queued client should come back: shortly after the opening, spread over
 * RETURN_SPREAD_MS so that the pre-queue does not poll in the same second (its first polls
 * after the draw each read the entry once). Past the opening (the draw is due, or running),
 * soon, with a small spread.
 */
export const RETURN_AFTER_OPENING_MS = 1_000;
export const RETURN_SPREAD_MS = 15_000;
export const RETURN_SPREAD_AFTER_OPENING_MS = 2_000;

export function preQueueRetryAfterMs(
  salesOpenAt: Date,
  now: Date,
  random: () => number = Math.random,
): number {
  const untilOpening = salesOpenAt.getTime() - now.getTime();
  if (untilOpening <= 0)
    return RETURN_AFTER_OPENING_MS + Math.floor(random() * RETURN_SPREAD_AFTER_OPENING_MS);
  return untilOpening + RETURN_AFTER_OPENING_MS + Math.floor(random() * RETURN_SPREAD_MS);
}
