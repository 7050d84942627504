-- The hold cap's count now reads the user's reservations in the concert by the user's index
-- (reservations_user_id_created_at_idx), its states judged in the count: with the state in its
-- WHERE clause, a generic plan made on statistics of paid reservations only preferred
-- reservations_lapsing_idx to this index and walked every live hold on each hold. Nothing else
-- reads it, and each held seat wrote an entry in it.
DROP INDEX "reservations_live_hold_idx";
