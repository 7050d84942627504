import type { ReservationStatus } from '../generated/prisma/enums.js';

/**
 * A hold is over when its time is up, whether or not the sweeper has marked it yet.
 * `now` is always the database clock.
 */
export function effectiveStatus(
  reservation: { status: ReservationStatus; expiresAt: Date },
  now: Date,
): ReservationStatus {
  return reservation.status === 'PENDING' && reservation.expiresAt <= now ? 'EXPIRED' : reservation.status;
}
