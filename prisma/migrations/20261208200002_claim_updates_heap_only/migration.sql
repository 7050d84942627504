-- A claim (queue_window_open, the poll's claiming read) changes an entry's claimed_at and
-- expires_at. With queue_entries_expires_at_idx gone no index covers either, so the claim is a
-- heap-only (HOT) update instead of a new entry in eight indexes. The index served no range:
-- every search for lapsed windows compares expires_at with clock_timestamp(), which is volatile
-- and so never an index condition; those searches read every ACTIVE entry through the partial
-- index either way, now through queue_entries_active_idx.
DROP INDEX "queue_entries_expires_at_idx";
-- Room on each page for the claimed version.
ALTER TABLE "queue_entries" SET (fillfactor = 80);
