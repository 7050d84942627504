-- The pre-queue's draw, once per concert, at its opening: every PRE_QUEUE entry gets its ticket
-- in the order of sha256(draw_seed || the entry id's 16 bytes), ascending (ties, never seen, by
-- id), tickets 1..k; then the first queue_capacity tickets are admitted (while ON_SALE), as
-- end_queue_entries would admit them into an empty queue: unclaimed, with the concert's claim
-- time (expires_at = now + queue_claim_seconds, claimed_at NULL); queue_window_open or a poll
-- claims the place, else it lapses as NO_SHOW. Anyone can recompute that order from
-- the published seed and entry ids (README: "Checking the draw"). Set-based: one statement
-- orders and tickets every entry.
--
-- Answers one row: 'DRAWN' with the entrants and the users admitted, or why nothing was drawn:
--   CONCERT_NOT_FOUND; NO_DRAW (no sales_open_at); ALREADY_DRAWN (`entrants` of that draw);
--   SALES_CLOSED (closed before the opening: close_concert_sales ended the pre-queue);
--   NOT_OPEN_YET (sales_open_at is still ahead by the database clock).
-- Exactly once, whichever replica's sweeper calls it: the concert's sales lock (exclusive)
-- serializes draws, entries and changes of the opening, and drawn_at marks it done under it.
-- Locks: the sales lock (exclusive) → the concerts row → the queues row → the PRE_QUEUE
-- entries by id (a leave racing the draw then either ended its entry before or sees it drawn).
CREATE OR REPLACE FUNCTION "draw_pre_queue"(p_concert_id UUID)
RETURNS TABLE (outcome TEXT, entrants INTEGER, admitted INTEGER) LANGUAGE plpgsql AS $$
DECLARE
    v_state "SalesState";
    v_stored_state "SalesState";
    v_capacity INTEGER;
    v_claim_seconds INTEGER;
    v_seed BYTEA;
    v_open_at TIMESTAMPTZ;
    v_drawn_entrants INTEGER;
    v_last_ticket BIGINT;
    v_entrants INTEGER;
    v_admitted INTEGER;
BEGIN
    v_state := lock_concert_sales(p_concert_id, true);
    SELECT c.draw_seed, c.sales_open_at, c.draw_entrants, c.sales_state, c.queue_capacity, c.queue_claim_seconds
    INTO v_seed, v_open_at, v_drawn_entrants, v_stored_state, v_capacity, v_claim_seconds
    FROM concerts c WHERE c.id = p_concert_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'CONCERT_NOT_FOUND', NULL::INTEGER, NULL::INTEGER;
        RETURN;
    ELSIF v_open_at IS NULL THEN
        RETURN QUERY SELECT 'NO_DRAW', NULL::INTEGER, NULL::INTEGER;
        RETURN;
    ELSIF v_drawn_entrants IS NOT NULL THEN
        RETURN QUERY SELECT 'ALREADY_DRAWN', v_drawn_entrants, NULL::INTEGER;
        RETURN;
    ELSIF v_state = 'CLOSED' THEN
        RETURN QUERY SELECT 'SALES_CLOSED', NULL::INTEGER, NULL::INTEGER;
        RETURN;
    ELSIF v_open_at > clock_timestamp() THEN
        RETURN QUERY SELECT 'NOT_OPEN_YET', NULL::INTEGER, NULL::INTEGER;
        RETURN;
    END IF;

    SELECT q.last_ticket INTO v_last_ticket FROM queues q WHERE q.concert_id = p_concert_id FOR UPDATE;
    -- Before the draw every entry is PRE_QUEUE (the concert is UPCOMING, and an opening cannot
    -- be set once anyone has entered), so the drawn tickets are 1..k.
    IF v_last_ticket <> 0 THEN
        RAISE EXCEPTION 'draw of concert %: tickets were given before the draw (last ticket %)', p_concert_id, v_last_ticket;
    END IF;
    PERFORM 1 FROM queue_entries e
    WHERE e.concert_id = p_concert_id AND e.status = 'PRE_QUEUE' ORDER BY e.id FOR UPDATE;
    -- The order's sort in memory (100,000 entries take about 12 MB), for this transaction only.
    PERFORM set_config('work_mem', '64MB', true);

    WITH drawn AS (
        SELECT e.id, row_number() OVER (ORDER BY sha256(v_seed || uuid_send(e.id)), e.id) AS ticket
        FROM queue_entries e
        WHERE e.concert_id = p_concert_id AND e.status = 'PRE_QUEUE'
    ), ticketed AS (
        UPDATE queue_entries e SET status = 'WAITING', ticket = d.ticket
        FROM drawn d WHERE e.id = d.id
        RETURNING 1
    )
    SELECT count(*)::INTEGER INTO v_entrants FROM ticketed;

    -- The first places: nobody is active yet, so tickets 1..capacity, found by the (concert_id,
    -- ticket) index. Not through end_queue_entries: just after this bulk change the statistics
    -- still count the drawn entries as PRE_QUEUE, and its admission then planned a nested loop
    -- over every waiting entry (26 s for 100,000). PAUSED (stored) admits nobody yet. Admitted
    -- as end_queue_entries admits: the claim time, claimed_at left NULL until the first claim.
    v_admitted := CASE WHEN v_stored_state = 'ON_SALE' THEN LEAST(v_capacity, v_entrants) ELSE 0 END;
    UPDATE queue_entries e
    SET status = 'ACTIVE', activated_at = clock_timestamp(),
        expires_at = clock_timestamp() + make_interval(secs => v_claim_seconds)
    WHERE e.concert_id = p_concert_id AND e.ticket <= v_admitted;

    UPDATE queues q
    SET last_ticket = v_entrants, active_count = q.active_count + v_admitted,
        activated_count = q.activated_count + v_admitted, updated_at = clock_timestamp()
    WHERE q.concert_id = p_concert_id;
    UPDATE concerts c SET drawn_at = clock_timestamp(), draw_entrants = v_entrants, updated_at = clock_timestamp()
    WHERE c.id = p_concert_id;
    RETURN QUERY SELECT 'DRAWN', v_entrants, v_admitted;
END;
$$;
