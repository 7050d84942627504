-- The locks a batch of one concert's holds waits for, taken before its first hold, in the order
-- a hold alone takes them: the concert's sales lock (shared), then, user by user in user id order,
-- the claim of an unclaimed window (queue_window_open) and, with a window open, the user's hold
-- lock (lock_user_holds); none of them when the concert is unknown, paused or closed, where no hold
-- gets that far. Each hold of the batch (hold_seats) then takes them again at once, so the batch
-- can run its holds in arrival order while two replicas' batches, or a batch and a batch of seat
-- pages (claims in user id order), still wait for one another in one order and cannot deadlock.
-- Answers the concert id, for the holds' calls to depend on.
CREATE OR REPLACE FUNCTION "take_hold_turns"(p_concert_id UUID, p_user_ids UUID[]) RETURNS UUID
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_user_id UUID;
BEGIN
    IF coalesce(lock_concert_sales(p_concert_id) IN ('PAUSED', 'CLOSED'), true) THEN
        RETURN p_concert_id;
    END IF;
    FOR v_user_id IN SELECT DISTINCT u.id FROM unnest(p_user_ids) AS u(id) ORDER BY u.id LOOP
        IF queue_window_open(p_concert_id, v_user_id) THEN
            PERFORM lock_user_holds(p_concert_id, v_user_id);
        END IF;
    END LOOP;
    RETURN p_concert_id;
END;
$$;
