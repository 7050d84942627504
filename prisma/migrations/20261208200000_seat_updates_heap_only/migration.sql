-- A seat's hold, payment and release change only its status and held_until. With
-- seats_held_until_idx gone no index of seats covers either (nor their predicates), so each of
-- those updates is a heap-only (HOT) update: it writes no index entry, where it wrote three or
-- four (one per index) before. The sweeper and the metrics find lapsed holds through their
-- PENDING reservations instead (a hold writes its seat and its reservation with the same
-- expiry, and every path that ends one ends the other): reservations are inserted, not updated,
-- by a hold, and a payment's update of them changes their status (indexed anyway), so the new
-- index costs one entry per hold and nothing on a payment.
DROP INDEX "seats_held_until_idx";
CREATE INDEX "reservations_lapsing_idx" ON "reservations" ("expires_at") WHERE "status" = 'PENDING';
-- Room on each page for a seat's new versions: a HOT update needs its page to have space.
ALTER TABLE "seats" SET (fillfactor = 80);
