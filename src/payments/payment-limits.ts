/** Reservations one payment may cover: a few concerts' worth of holds. */
export const MAX_RESERVATIONS_PER_PAYMENT = 20;
