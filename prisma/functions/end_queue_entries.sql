-- Ends entries of one concert's queue and gives the places that frees (and any other free
-- place) to the longest-waiting users, moving the counters. p_user_id NULL ends the windows
-- that lapsed (EXPIRED once claimed, NO_SHOW if never claimed) or that a payment marked
-- (ended_at set: COMPLETED at the payment's time); otherwise the user's live entry (only an
-- ACTIVE one if p_only_active) with p_status. An admitted user gets the concert's claim time
-- (expires_at = now + queue_claim_seconds, claimed_at NULL); queue_window_open claims it.
-- Answers how many entries ended (in all, and of them EXPIRED, NO_SHOW, COMPLETED) and how
-- many were admitted.
-- Admits only while the concert is on sale by the database clock, and not between the opening
-- of its sales and its draw (open_sales_for_draw, draw_pre_queue): the drawn tickets, ahead of
-- every waiting one, are not given yet. Locks the concert's sales
-- lock (shared), then the queues row; each later statement takes a fresh snapshot, so it sees
-- every user who entered or was admitted while it waited. A waiting user's departure is
-- counted by the queue_entries_departure trigger, not here. No row when the concert has no queue.
CREATE OR REPLACE FUNCTION "end_queue_entries"(
    p_concert_id UUID,
    p_user_id UUID,
    p_status "QueueEntryStatus",
    p_only_active BOOLEAN
) RETURNS TABLE (ended INTEGER, admitted INTEGER, expired INTEGER, no_show INTEGER, completed INTEGER)
LANGUAGE plpgsql AS $$
DECLARE
    v_active INTEGER;
    v_capacity INTEGER;
    v_claim_seconds INTEGER;
    v_on_sale BOOLEAN;
    v_ended INTEGER;
    v_freed INTEGER;
    v_expired INTEGER;
    v_no_show INTEGER;
    v_completed INTEGER;
    v_admitted INTEGER;
BEGIN
    -- Admission only while on sale by the database clock, read under the concert's sales lock
    -- (shared), taken before the queue row.
    v_on_sale := coalesce(lock_concert_sales(p_concert_id) = 'ON_SALE', false);
    -- Read with the queue row: a draw committing while this waits for that row is seen here
    -- as not drawn yet (the concerts row is not re-read), which only admits nobody this time.
    SELECT q.active_count, c.queue_capacity, c.queue_claim_seconds, v_on_sale AND NOT (c.sales_opened_at IS NOT NULL AND c.drawn_at IS NULL)
    INTO v_active, v_capacity, v_claim_seconds, v_on_sale
    FROM queues q JOIN concerts c ON c.id = q.concert_id
    WHERE q.concert_id = p_concert_id
    FOR UPDATE OF q;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    WITH ended_entries AS (
        UPDATE queue_entries e
        SET status = CASE WHEN e.status = 'ACTIVE' AND e.ended_at IS NOT NULL THEN 'COMPLETED'
                          WHEN p_user_id IS NULL AND e.claimed_at IS NULL THEN 'NO_SHOW'
                          WHEN p_user_id IS NULL THEN 'EXPIRED'
                          ELSE p_status END,
            ended_at = coalesce(e.ended_at, clock_timestamp())
        WHERE e.concert_id = p_concert_id
          AND CASE WHEN p_user_id IS NULL
                   THEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp()
                   ELSE e.user_id = p_user_id
                        AND (e.status = 'ACTIVE' OR (e.status = 'WAITING' AND NOT p_only_active))
              END
        RETURNING e.activated_at IS NOT NULL AS was_active, e.status
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER,
           (count(*) FILTER (WHERE status = 'EXPIRED'))::INTEGER,
           (count(*) FILTER (WHERE status = 'NO_SHOW'))::INTEGER,
           (count(*) FILTER (WHERE status = 'COMPLETED'))::INTEGER
    INTO v_ended, v_freed, v_expired, v_no_show, v_completed
    FROM ended_entries;

    WITH admitted_entries AS (
        UPDATE queue_entries e
        SET status = 'ACTIVE', activated_at = clock_timestamp(),
            expires_at = clock_timestamp() + make_interval(secs => v_claim_seconds)
        WHERE e.id IN (SELECT w.id FROM queue_entries w
                       WHERE w.concert_id = p_concert_id AND w.status = 'WAITING'
                       ORDER BY w.ticket
                       LIMIT CASE WHEN v_on_sale THEN GREATEST(v_capacity - v_active + v_freed, 0) ELSE 0 END)
          -- Re-checked on the row as locked: a waiting user leaves without this function, so a
          -- concurrent leave may have ended the entry after this statement chose it.
          AND e.status = 'WAITING'
        RETURNING 1
    )
    SELECT count(*)::INTEGER INTO v_admitted FROM admitted_entries;

    IF v_ended + v_admitted > 0 THEN
        UPDATE queues q
        SET active_count = q.active_count + v_admitted - v_freed,
            activated_count = q.activated_count + v_admitted,
            updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_ended, v_admitted, v_expired, v_no_show, v_completed;
END;
$$;
