export const MAX_SEATS_PER_CONCERT = 50_000;
export const MAX_SEAT_PRICE = 10_000_000;
/** Same bound as QUEUE_ACTIVE_CAPACITY. */
export const MAX_QUEUE_CAPACITY = 100_000;
/** One day; keeps window arithmetic far from integer overflow. */
export const MAX_QUEUE_WINDOW_SECONDS = 86_400;
export const MAX_QUEUE_CLAIM_SECONDS = 3_600;
/** POST /admin/concerts only: 50,000 explicit seats are a few MB of JSON, far above BODY_LIMIT_BYTES. */
export const CREATE_CONCERT_BODY_LIMIT_BYTES = 8 * 1024 * 1024;
/** A week: PRE_QUEUE_OPENS_SECONDS has the same bound. */
export const MAX_PRE_QUEUE_OPENS_SECONDS = 7 * 86_400;
