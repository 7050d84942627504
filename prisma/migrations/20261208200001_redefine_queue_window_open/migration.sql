-- Written by `npm run db:functions` from prisma/functions/: redefines queue_window_open.
-- Change the source file, not this migration.

-- The gate of seat maps and holds: the user's entry is ACTIVE and its window still open by the
-- database clock, so a lapsed window is closed before the sweeper marks it. An admitted user's
-- first request through the gate claims the place: claimed_at = now and the full window
-- (queue_window_seconds) starts now. The claim locks only the user's entry row; of concurrent
-- claims one updates and the others re-check the row as claimed and change nothing.
-- A claimed place (every request but the first) is only read: an UPDATE that matches no row
-- still costs a plan and fires queue_entries' statement trigger, on every seat map and hold.
-- A claim commits without waiting for its WAL flush, as an entry does: a crash can lose the
-- last fraction of a second of claims (the place is unclaimed again, until its claim time runs
-- out), never a seat or a point. See docs/decisions.md, "Holds and claims commit asynchronously".
CREATE OR REPLACE FUNCTION "queue_window_open"(p_concert_id UUID, p_user_id UUID) RETURNS BOOLEAN
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_claimed BOOLEAN;
    v_now TIMESTAMPTZ;
BEGIN
    SELECT q.claimed_at IS NOT NULL INTO v_claimed
    FROM queue_entries q
    WHERE q.concert_id = p_concert_id AND q.user_id = p_user_id AND q.status = 'ACTIVE'
      AND q.expires_at > clock_timestamp();
    IF NOT FOUND THEN
        RETURN false;
    ELSIF v_claimed THEN
        RETURN true;
    END IF;
    -- One reading of the clock for both: two readings, each rounded to the millisecond, could
    -- make the window a millisecond shorter than queue_window_seconds.
    v_now := clock_timestamp();
    PERFORM set_config('synchronous_commit', 'off', true);
    -- The window's length by a subquery rather than a join with concerts: the claim is one
    -- update of one row, found by the user's live-entry key.
    UPDATE queue_entries q
    SET claimed_at = v_now,
        expires_at = v_now + make_interval(secs => (SELECT c.queue_window_seconds FROM concerts c WHERE c.id = p_concert_id))
    WHERE q.concert_id = p_concert_id AND q.user_id = p_user_id AND q.status = 'ACTIVE'
      AND q.claimed_at IS NULL AND q.expires_at > clock_timestamp();
    IF FOUND THEN
        RETURN true;
    END IF;
    -- A concurrent claim came first (this one then changed nothing), or the entry ended or
    -- lapsed meanwhile: read it again.
    RETURN EXISTS (
        SELECT 1 FROM queue_entries q
        WHERE q.concert_id = p_concert_id AND q.user_id = p_user_id AND q.status = 'ACTIVE'
          AND q.expires_at > clock_timestamp()
    );
END;
$$;
