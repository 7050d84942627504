-- Closes a concert's sales for good, in the caller's transaction: stores CLOSED, releases
-- every unpaid hold (seat AVAILABLE, reservation SALES_CLOSED, or EXPIRED if it had lapsed)
-- and ends every live queue entry, pre-queued ones included (SALES_CLOSED; EXPIRED for a lapsed
-- window, NO_SHOW for a lapsed place never claimed, COMPLETED for a window a payment ended).
-- Idempotent.
-- Locks: the sales lock (exclusive) → seats by id → reservations → queues → queue_entries.
-- Answers the holds released and the entries ended; no row when the concert does not exist.
CREATE OR REPLACE FUNCTION "close_concert_sales"(p_concert_id UUID)
RETURNS TABLE (released INTEGER, ended INTEGER) LANGUAGE plpgsql AS $$
DECLARE
    v_released INTEGER;
    v_ended INTEGER;
    v_ended_active INTEGER;
BEGIN
    PERFORM lock_concert_sales(p_concert_id, true);
    UPDATE concerts c SET sales_state = 'CLOSED', updated_at = clock_timestamp()
    WHERE c.id = p_concert_id AND c.sales_state <> 'CLOSED';
    IF NOT EXISTS (SELECT 1 FROM concerts c WHERE c.id = p_concert_id) THEN
        RETURN;
    END IF;

    PERFORM 1 FROM seats s WHERE s.concert_id = p_concert_id AND s.status = 'HELD' ORDER BY s.id FOR UPDATE;
    WITH released_holds AS (
        UPDATE reservations r
        SET status = CASE WHEN r.expires_at <= clock_timestamp() THEN 'EXPIRED' ELSE 'SALES_CLOSED' END::"ReservationStatus",
            updated_at = clock_timestamp()
        WHERE r.concert_id = p_concert_id AND r.status = 'PENDING'
        RETURNING 1
    )
    SELECT count(*)::INTEGER INTO v_released FROM released_holds;
    UPDATE seats s SET status = 'AVAILABLE', held_until = NULL WHERE s.concert_id = p_concert_id AND s.status = 'HELD';

    PERFORM 1 FROM queues q WHERE q.concert_id = p_concert_id FOR UPDATE;
    WITH ended_entries AS (
        UPDATE queue_entries e
        SET status = CASE WHEN e.status = 'ACTIVE' AND e.ended_at IS NOT NULL THEN 'COMPLETED'
                          WHEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp() AND e.claimed_at IS NULL
                              THEN 'NO_SHOW'
                          WHEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp() THEN 'EXPIRED'
                          ELSE 'SALES_CLOSED' END::"QueueEntryStatus",
            ended_at = coalesce(e.ended_at, clock_timestamp())
        WHERE e.concert_id = p_concert_id AND e.status IN ('PRE_QUEUE', 'WAITING', 'ACTIVE')
        RETURNING e.activated_at IS NOT NULL AS was_active
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER INTO v_ended, v_ended_active
    FROM ended_entries;
    -- Entries ended while waiting are recorded as departures by the queue_entries_departure
    -- trigger; nobody queues again behind them, since CLOSED is final.
    IF v_ended > 0 THEN
        UPDATE queues q SET active_count = q.active_count - v_ended_active, updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_released, v_ended;
END;
$$;
