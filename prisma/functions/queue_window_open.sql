-- The gate of seat maps and holds: the user's entry is ACTIVE and its window still open by the
-- database clock, so a lapsed window is closed before the sweeper marks it.
CREATE OR REPLACE FUNCTION "queue_window_open"(p_concert_id UUID, p_user_id UUID) RETURNS BOOLEAN
LANGUAGE sql VOLATILE AS $$
    SELECT EXISTS (
        SELECT 1 FROM queue_entries q
        WHERE q.concert_id = p_concert_id AND q.user_id = p_user_id AND q.status = 'ACTIVE'
          AND q.expires_at > clock_timestamp()
    )
$$;
