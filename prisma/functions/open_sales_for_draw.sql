-- The first, short step of the pre-queue's draw, at its opening (see draw_pre_queue): under the
-- concert's sales lock (exclusive) it fixes the entrants (the k PRE_QUEUE entries), reserves
-- tickets 1..k for them (last_ticket = k) and opens the sales (sales_opened_at, draw_tickets =
-- k). It commits at once: entries from then on read ON_SALE and take tickets k+1.. without
-- waiting for the draw's tickets, and nobody is admitted until draw_pre_queue has given them
-- (end_queue_entries admits nobody in between; an entrant is never admitted on arrival, since
-- last_ticket = k > activated_count + departures).
--
-- Answers one row: 'OPENED' with k, or why not: CONCERT_NOT_FOUND; NO_DRAW (no sales_open_at);
-- ALREADY_OPENED (k of that opening); SALES_CLOSED (closed before the opening: close_concert_sales
-- ended the pre-queue); NOT_OPEN_YET (sales_open_at is still ahead by the database clock).
-- Locks: the sales lock (exclusive) → the concerts row → the queues row. The count reads no row
-- lock: a pre-queued entry that leaves meanwhile is one of the k, and its ticket counts as a
-- departure when drawn (no entry is pre-queued any more once this commits).
CREATE OR REPLACE FUNCTION "open_sales_for_draw"(p_concert_id UUID)
RETURNS TABLE (outcome TEXT, tickets INTEGER) LANGUAGE plpgsql AS $$
DECLARE
    v_state "SalesState";
    v_open_at TIMESTAMPTZ;
    v_draw_tickets INTEGER;
    v_last_ticket BIGINT;
    v_tickets INTEGER;
BEGIN
    v_state := lock_concert_sales(p_concert_id, true);
    SELECT c.sales_open_at, c.draw_tickets INTO v_open_at, v_draw_tickets
    FROM concerts c WHERE c.id = p_concert_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'CONCERT_NOT_FOUND', NULL::INTEGER;
        RETURN;
    ELSIF v_open_at IS NULL THEN
        RETURN QUERY SELECT 'NO_DRAW', NULL::INTEGER;
        RETURN;
    ELSIF v_draw_tickets IS NOT NULL THEN
        RETURN QUERY SELECT 'ALREADY_OPENED', v_draw_tickets;
        RETURN;
    ELSIF v_state = 'CLOSED' THEN
        RETURN QUERY SELECT 'SALES_CLOSED', NULL::INTEGER;
        RETURN;
    ELSIF v_open_at > clock_timestamp() THEN
        RETURN QUERY SELECT 'NOT_OPEN_YET', NULL::INTEGER;
        RETURN;
    END IF;

    SELECT q.last_ticket INTO v_last_ticket FROM queues q WHERE q.concert_id = p_concert_id FOR UPDATE;
    -- Before the opening every entry is PRE_QUEUE (the concert is UPCOMING, and an opening cannot
    -- be set once anyone has entered), so the reserved tickets are 1..k.
    IF v_last_ticket <> 0 THEN
        RAISE EXCEPTION 'opening of concert %: tickets were given before it (last ticket %)', p_concert_id, v_last_ticket;
    END IF;
    -- An index-only count over the pre-queue's partial index.
    SELECT count(*)::INTEGER INTO v_tickets FROM queue_entries e
    WHERE e.concert_id = p_concert_id AND e.status = 'PRE_QUEUE';

    UPDATE queues q SET last_ticket = v_tickets, updated_at = clock_timestamp() WHERE q.concert_id = p_concert_id;
    UPDATE concerts c SET sales_opened_at = clock_timestamp(), draw_tickets = v_tickets, updated_at = clock_timestamp()
    WHERE c.id = p_concert_id;
    RETURN QUERY SELECT 'OPENED', v_tickets;
END;
$$;
