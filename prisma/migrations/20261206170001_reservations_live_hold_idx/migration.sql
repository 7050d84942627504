-- A user's live holds in a concert, counted by every hold under the user's lock (the cap): the
-- index holds only PENDING rows, so the count reads those and nothing else, whatever the
-- statistics say. Without it a generic plan on stale statistics combined the user's index
-- with reservations_live_seat_key and walked every live and sold reservation on each hold.
CREATE INDEX "reservations_live_hold_idx" ON "reservations" ("user_id", "concert_id") WHERE "status" = 'PENDING';
