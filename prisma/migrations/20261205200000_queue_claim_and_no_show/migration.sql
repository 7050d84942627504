-- Issue 18: an admitted user has a claim time to show up. Admission opens a short claim phase
-- (expires_at = admission + queue_claim_seconds, claimed_at NULL); the first request that sees
-- the ACTIVE state claims it (claimed_at set, expires_at = claim + queue_window_seconds). A
-- place never claimed lapses as NO_SHOW instead of EXPIRED. expires_at stays the one deadline
-- of an ACTIVE entry in both phases, so every "window open" check and the sweeper's lapse
-- test are unchanged. See docs/decisions.md, "Claim, then the window".
ALTER TYPE "QueueEntryStatus" ADD VALUE IF NOT EXISTS 'NO_SHOW';

ALTER TABLE "concerts" ADD COLUMN "queue_claim_seconds" INTEGER NOT NULL DEFAULT 30;
ALTER TABLE "concerts" ADD CONSTRAINT "concerts_queue_claim_seconds_check" CHECK (queue_claim_seconds >= 1);

-- Entries admitted before this migration were told their full window: they count as claimed.
ALTER TABLE "queue_entries" ADD COLUMN "claimed_at" TIMESTAMPTZ(3);
UPDATE "queue_entries" SET "claimed_at" = "activated_at" WHERE "activated_at" IS NOT NULL;

-- end_queue_entries now answers its ended entries by reason: a new result type.
DROP FUNCTION IF EXISTS "end_queue_entries"(UUID, UUID, "QueueEntryStatus", BOOLEAN);

-- The admission rate behind waiting estimates: admissions of one concert over the last minutes.
CREATE INDEX "queue_entries_admitted_idx" ON "queue_entries" ("concert_id", "activated_at") WHERE "activated_at" IS NOT NULL;
