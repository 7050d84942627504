-- Sales states enforced where seats move (issue 20). PAUSED: no admission and no new hold;
-- holds already made can still be paid. CLOSED: no entry, hold or payment, and final. Sales
-- close by themselves at `sales_close_at`, or at the start when it is not set: every path
-- judges that by the database clock, and the sweeper then stores CLOSED and tidies up through
-- close_concert_sales, as a PATCH to CLOSED does. See docs/decisions.md, "Sales states".

-- The exit reason of a window or waiting place ended by the close, and of a hold it released:
-- the status already is the exit reason of both tables (EXPIRED, LEFT, COMPLETED, CANCELLED).
ALTER TYPE "QueueEntryStatus" ADD VALUE 'SALES_CLOSED';
ALTER TYPE "ReservationStatus" ADD VALUE 'SALES_CLOSED';

ALTER TABLE "concerts" ADD COLUMN "sales_close_at" TIMESTAMPTZ(3),
    ADD CONSTRAINT "concerts_sales_close_at_check" CHECK ("sales_close_at" <= "starts_at");

-- The sales state as of now by the database clock: past its close time (sales_close_at, else
-- starts_at) a concert is CLOSED whatever is stored, until the sweeper stores it.
CREATE FUNCTION "sales_state_now"(c "concerts") RETURNS "SalesState"
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN coalesce(c.sales_close_at, c.starts_at) <= clock_timestamp() THEN 'CLOSED'::"SalesState"
                ELSE c.sales_state END
$$;

-- The concert's sales lock, then its sales state read after it (NULL: no such concert).
-- Shared: every path that enters, admits, holds or pays takes it before any row lock, so a
-- change of sales state (exclusive) waits for the paths already past their check and the
-- later ones read the new state: each runs wholly before or wholly after the change. An
-- advisory lock rather than the concert row: waiting exclusive requests queue ahead of new
-- shared ones (row share locks would let a rush starve a close), and it writes no WAL.
-- VOLATILE: the read takes a fresh snapshot, taken after the lock, even inside one statement.
CREATE FUNCTION "lock_concert_sales"(p_concert_id UUID, p_exclusive BOOLEAN DEFAULT false)
RETURNS "SalesState" LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(7002, hashtext(p_concert_id::TEXT));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7002, hashtext(p_concert_id::TEXT));
    END IF;
    RETURN (SELECT sales_state_now(c) FROM concerts c WHERE c.id = p_concert_id);
END;
$$;

-- Closes a concert's sales for good, in the caller's transaction: stores CLOSED, releases
-- every unpaid hold (seat AVAILABLE, reservation SALES_CLOSED, or EXPIRED if it had lapsed)
-- and ends every live queue entry (SALES_CLOSED, or EXPIRED for a lapsed window). Idempotent.
-- Locks: the sales lock (exclusive) → seats by id → reservations → queues → queue_entries.
-- Answers the holds released and the entries ended; no row when the concert does not exist.
CREATE FUNCTION "close_concert_sales"(p_concert_id UUID)
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
        SET status = CASE WHEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp() THEN 'EXPIRED'
                          ELSE 'SALES_CLOSED' END::"QueueEntryStatus",
            ended_at = clock_timestamp()
        WHERE e.concert_id = p_concert_id AND e.status IN ('WAITING', 'ACTIVE')
        RETURNING e.activated_at IS NOT NULL AS was_active
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER INTO v_ended, v_ended_active
    FROM ended_entries;
    -- Places ended while waiting are not LEFT: left_waiting_count counts those only. Nobody
    -- queues again behind them, since CLOSED is final.
    IF v_ended > 0 THEN
        UPDATE queues q SET active_count = q.active_count - v_ended_active, updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_released, v_ended;
END;
$$;

-- hold_seats, end_queue_entries and pay_reservations take the sales lock and refuse by state in
-- their sources (prisma/functions/), redefined by the migration written from them.
