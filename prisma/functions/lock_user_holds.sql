-- A user's hold lock in one concert (advisory, namespace 7001, to the end of the transaction):
-- two parallel holds by one user take turns with it, so they cannot both pass the hold cap.
-- Taken by hold_seats, and ahead of a batch's holds by take_hold_turns.
CREATE OR REPLACE FUNCTION "lock_user_holds"(p_concert_id UUID, p_user_id UUID) RETURNS VOID
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(7001, hashtext(p_user_id::TEXT || ':' || p_concert_id::TEXT));
$$;
