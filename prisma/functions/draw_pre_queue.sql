-- The pre-queue's draw, once per concert, at its opening: every PRE_QUEUE entry gets its ticket
-- in the order of sha256(draw_seed || the entry id's 16 bytes), ascending (ties, never seen, by
-- id), tickets 1..k; then the first places are given as end_queue_entries gives them. Anyone
-- can recompute that order from the published seed and entry ids (README: "Checking the draw").
-- Set-based: one statement orders and tickets every entry.
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
    v_seed BYTEA;
    v_open_at TIMESTAMPTZ;
    v_drawn_entrants INTEGER;
    v_last_ticket BIGINT;
    v_entrants INTEGER;
    v_admitted INTEGER;
BEGIN
    v_state := lock_concert_sales(p_concert_id, true);
    SELECT c.draw_seed, c.sales_open_at, c.draw_entrants INTO v_seed, v_open_at, v_drawn_entrants
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

    UPDATE queues q SET last_ticket = v_entrants, updated_at = clock_timestamp() WHERE q.concert_id = p_concert_id;
    UPDATE concerts c SET drawn_at = clock_timestamp(), draw_entrants = v_entrants, updated_at = clock_timestamp()
    WHERE c.id = p_concert_id;
    -- The first places, now that the concert reads ON_SALE (or PAUSED: then nobody yet).
    SELECT e.admitted INTO v_admitted FROM end_queue_entries(p_concert_id, NULL, 'EXPIRED', false) e;
    RETURN QUERY SELECT 'DRAWN', v_entrants, coalesce(v_admitted, 0);
END;
$$;
