-- Departures counted per bucket of 64 tickets, so that a position costs the same whatever
-- share of the queue left, and leaving a queue while waiting no longer locks the concert's
-- `queues` row. See docs/decisions.md, "Departures counted in 64-ticket buckets".

-- One row per 64 consecutive tickets of a concert with a departure among them: bit (ticket & 63)
-- of `mask` is set when that ticket ended without being admitted (left while waiting).
-- `changed_xid` is the transaction that last changed the row (pg_current_xact_id() as a
-- bigint): a replica's snapshot re-reads only the rows changed by transactions at or after the
-- oldest transaction still running at its previous read, so a refresh costs the departures
-- since then, never the length of the queue.
CREATE TABLE "queue_departure_buckets" (
    "concert_id" UUID NOT NULL,
    "bucket" BIGINT NOT NULL,
    "mask" BIGINT NOT NULL,
    "changed_xid" BIGINT NOT NULL,
    CONSTRAINT "queue_departure_buckets_pkey" PRIMARY KEY ("concert_id", "bucket"),
    CONSTRAINT "queue_departure_buckets_concert_id_fkey" FOREIGN KEY ("concert_id") REFERENCES "concerts"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "queue_departure_buckets_changed_xid_idx" ON "queue_departure_buckets"("concert_id", "changed_xid");

-- The number of departures of a concert, spread over 16 rows (stripe = bucket & 15) so that
-- concurrent leavers rarely wait for each other; the total is the sum of at most 16 rows.
CREATE TABLE "queue_departure_stripes" (
    "concert_id" UUID NOT NULL,
    "stripe" SMALLINT NOT NULL,
    "departed" BIGINT NOT NULL,
    CONSTRAINT "queue_departure_stripes_pkey" PRIMARY KEY ("concert_id", "stripe"),
    CONSTRAINT "queue_departure_stripes_concert_id_fkey" FOREIGN KEY ("concert_id") REFERENCES "concerts"("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- Records a departure in the statement that ends the entry, whichever path ends it.
CREATE FUNCTION "record_queue_departure"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_departure_buckets AS b (concert_id, bucket, mask, changed_xid)
    VALUES (NEW.concert_id, NEW.ticket >> 6, 1::BIGINT << (NEW.ticket & 63)::INTEGER, pg_current_xact_id()::TEXT::BIGINT)
    ON CONFLICT (concert_id, bucket)
    DO UPDATE SET mask = b.mask | EXCLUDED.mask, changed_xid = EXCLUDED.changed_xid;
    INSERT INTO queue_departure_stripes AS s (concert_id, stripe, departed)
    VALUES (NEW.concert_id, ((NEW.ticket >> 6) & 15)::SMALLINT, 1)
    ON CONFLICT (concert_id, stripe) DO UPDATE SET departed = s.departed + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER "queue_entries_departure"
AFTER UPDATE OF "status" ON "queue_entries"
FOR EACH ROW
WHEN (OLD.status = 'WAITING' AND NEW.status NOT IN ('WAITING', 'ACTIVE'))
EXECUTE FUNCTION "record_queue_departure"();

-- Departures recorded before this migration.
INSERT INTO queue_departure_buckets (concert_id, bucket, mask, changed_xid)
SELECT concert_id, ticket >> 6, bit_or(1::BIGINT << (ticket & 63)::INTEGER), pg_current_xact_id()::TEXT::BIGINT
FROM queue_entries
WHERE activated_at IS NULL AND status NOT IN ('WAITING', 'ACTIVE')
GROUP BY concert_id, ticket >> 6;
INSERT INTO queue_departure_stripes (concert_id, stripe, departed)
SELECT concert_id, ((ticket >> 6) & 15)::SMALLINT, count(*)
FROM queue_entries
WHERE activated_at IS NULL AND status NOT IN ('WAITING', 'ACTIVE')
GROUP BY concert_id, (ticket >> 6) & 15;

-- With autovacuum on, re-analyze the queue as it grows during an on-sale rather than after it
-- has grown by a fifth; the hot statements do not depend on it (test/e2e/queue-plans.e2e-spec.ts).
ALTER TABLE "queue_entries" SET (autovacuum_analyze_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.05);

-- end_queue_entries, changed in two places only (marked "departures:"): a waiting user now
-- leaves without this function, so (1) an admission re-checks that the entry is still WAITING
-- (a concurrent leave may have ended it after this statement chose it), and (2) the
-- departures are counted by the trigger above, no longer in queues.left_waiting_count.
CREATE OR REPLACE FUNCTION "end_queue_entries"(
    p_concert_id UUID,
    p_user_id UUID,
    p_status "QueueEntryStatus",
    p_only_active BOOLEAN
) RETURNS TABLE (ended INTEGER, admitted INTEGER) LANGUAGE plpgsql AS $$
DECLARE
    v_active INTEGER;
    v_capacity INTEGER;
    v_window_seconds INTEGER;
    v_on_sale BOOLEAN;
    v_ended INTEGER;
    v_freed INTEGER;
    v_admitted INTEGER;
BEGIN
    SELECT q.active_count, c.queue_capacity, c.queue_window_seconds, c.sales_state = 'ON_SALE'
    INTO v_active, v_capacity, v_window_seconds, v_on_sale
    FROM queues q JOIN concerts c ON c.id = q.concert_id
    WHERE q.concert_id = p_concert_id
    FOR UPDATE OF q;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    WITH ended_entries AS (
        UPDATE queue_entries e
        SET status = CASE WHEN p_user_id IS NULL THEN 'EXPIRED' ELSE p_status END, ended_at = clock_timestamp()
        WHERE e.concert_id = p_concert_id
          AND CASE WHEN p_user_id IS NULL
                   THEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp()
                   ELSE e.user_id = p_user_id
                        AND (e.status = 'ACTIVE' OR (e.status = 'WAITING' AND NOT p_only_active))
              END
        RETURNING e.activated_at IS NOT NULL AS was_active
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER
    INTO v_ended, v_freed
    FROM ended_entries;

    WITH admitted_entries AS (
        UPDATE queue_entries e
        SET status = 'ACTIVE', activated_at = clock_timestamp(),
            expires_at = clock_timestamp() + make_interval(secs => v_window_seconds)
        WHERE e.id IN (SELECT w.id FROM queue_entries w
                       WHERE w.concert_id = p_concert_id AND w.status = 'WAITING'
                       ORDER BY w.ticket
                       LIMIT CASE WHEN v_on_sale THEN GREATEST(v_capacity - v_active + v_freed, 0) ELSE 0 END)
          -- departures: (1) re-checked on the row as locked
          AND e.status = 'WAITING'
        RETURNING 1
    )
    SELECT count(*)::INTEGER INTO v_admitted FROM admitted_entries;

    IF v_ended + v_admitted > 0 THEN
        UPDATE queues q
        SET active_count = q.active_count + v_admitted - v_freed,
            activated_count = q.activated_count + v_admitted,
            -- departures: (2) left_waiting_count is no longer written
            updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_ended, v_admitted;
END;
$$;
