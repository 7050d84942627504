-- The draw in two steps (issue 21): at the opening a short step under the concert's sales lock
-- (exclusive) fixes the pre-queue's entrants, reserves tickets 1..draw_tickets for them and
-- opens the sales (`sales_opened_at`), so that later entries take tickets after them at once;
-- then draw_pre_queue tickets the entrants in the seed's order without that lock (`drawn_at`,
-- `draw_entrants`: those still there, tickets 1..draw_entrants; the reserved tickets of those who
-- left in between count as departures). See docs/decisions.md, "The draw opens the sales first".
ALTER TABLE "concerts"
    ADD COLUMN "sales_opened_at" TIMESTAMPTZ(3),
    ADD COLUMN "draw_tickets" INTEGER;

-- Concerts drawn before: opened and drawn at once, every reserved ticket drawn.
UPDATE "concerts" SET "sales_opened_at" = "drawn_at", "draw_tickets" = "draw_entrants" WHERE "drawn_at" IS NOT NULL;

ALTER TABLE "concerts"
    ADD CONSTRAINT "concerts_opened_check" CHECK (("sales_opened_at" IS NULL) = ("draw_tickets" IS NULL)),
    ADD CONSTRAINT "concerts_drawn_after_opened_check"
        CHECK ("drawn_at" IS NULL OR ("sales_opened_at" IS NOT NULL AND "draw_entrants" <= "draw_tickets"));
