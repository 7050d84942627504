-- The concert's sales lock, then its sales state read after it (NULL: no such concert).
-- Shared: every path that enters, admits, holds or pays takes it before any row lock, so a
-- change of sales state (exclusive) waits for the paths already past their check and the
-- later ones read the new state: each runs wholly before or wholly after the change. An
-- advisory lock rather than the concert row: waiting exclusive requests queue ahead of new
-- shared ones (row share locks would let a rush starve a close), and it writes no WAL.
-- VOLATILE: the read takes a fresh snapshot, taken after the lock, even inside one statement.
CREATE OR REPLACE FUNCTION "lock_concert_sales"(p_concert_id UUID, p_exclusive BOOLEAN DEFAULT false)
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
