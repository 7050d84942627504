-- The pre-queue and the draw (issue 21), part 2. A concert with `sales_open_at` is UPCOMING
-- until its draw (sales_state_now); from `pre_queue_opens_seconds` before the opening, entries
-- go into the pre-queue (status PRE_QUEUE, no ticket). At the opening the sweeper runs
-- draw_pre_queue once: tickets 1..k in the order of sha256(draw_seed || entry id), then the
-- first admissions. `draw_seed` is chosen when the opening is set; sha256(draw_seed) is
-- published at once as the commitment, the seed itself once `drawn_at` is set.
-- See docs/decisions.md, "A pre-queue drawn in an order anyone can check".
ALTER TABLE "concerts"
    ADD COLUMN "sales_open_at" TIMESTAMPTZ(3),
    ADD COLUMN "pre_queue_opens_seconds" INTEGER NOT NULL DEFAULT 1800,
    ADD COLUMN "draw_seed" BYTEA,
    ADD COLUMN "drawn_at" TIMESTAMPTZ(3),
    ADD COLUMN "draw_entrants" INTEGER,
    ADD CONSTRAINT "concerts_sales_open_at_check" CHECK ("sales_open_at" < coalesce("sales_close_at", "starts_at")),
    ADD CONSTRAINT "concerts_pre_queue_opens_seconds_check" CHECK ("pre_queue_opens_seconds" >= 0),
    ADD CONSTRAINT "concerts_draw_seed_check" CHECK ("sales_open_at" IS NULL OR octet_length("draw_seed") = 32),
    ADD CONSTRAINT "concerts_drawn_check" CHECK (("drawn_at" IS NULL) = ("draw_entrants" IS NULL));

-- A pre-queued entry has no ticket until the draw gives it one; an entry ended before the draw
-- (left, or closed with the sales) keeps none.
ALTER TABLE "queue_entries" ALTER COLUMN "ticket" DROP NOT NULL,
    ADD CONSTRAINT "queue_entries_ticket_check"
        CHECK (("status" = 'PRE_QUEUE') = ("ticket" IS NULL) OR "status" IN ('LEFT', 'SALES_CLOSED'));

-- One live place per user and concert, the pre-queue included.
DROP INDEX "queue_entries_live_user_key";
CREATE UNIQUE INDEX "queue_entries_live_user_key" ON "queue_entries" ("concert_id", "user_id")
    WHERE "status" IN ('PRE_QUEUE', 'WAITING', 'ACTIVE');
-- The draw's set and the operator's live count of the pre-queue.
CREATE INDEX "queue_entries_pre_queue_idx" ON "queue_entries" ("concert_id") WHERE "status" = 'PRE_QUEUE';
