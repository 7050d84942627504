-- A payment marks the payer's window over (expires_at, ended_at; pay_reservations). With
-- queue_entries_outflow_idx gone no index covers either, so the mark is a heap-only (HOT)
-- update instead of a new entry in eight indexes. No query read a range of it: the operator's
-- count of windows ended in the last minute compares with clock_timestamp() (volatile, never an
-- index condition) and was planned on queue_entries_admitted_idx.
DROP INDEX "queue_entries_outflow_idx";
