-- Written by `npm run db:functions` from prisma/functions/: redefines close_concert_sales, draw_pre_queue, sales_state_now.
-- Change the source file, not this migration.

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

-- The sales state as of now by the database clock: past its close time (sales_close_at, else
-- starts_at) a concert is CLOSED whatever is stored, until the sweeper stores it. A concert
-- with an opening (sales_open_at) is UPCOMING until its pre-queue is drawn (drawn_at): the
-- draw runs at the opening, so no ticket is given before the drawn ones.
CREATE OR REPLACE FUNCTION "sales_state_now"(c "concerts") RETURNS "SalesState"
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN coalesce(c.sales_close_at, c.starts_at) <= clock_timestamp() THEN 'CLOSED'::"SalesState"
                WHEN c.sales_open_at IS NOT NULL AND c.drawn_at IS NULL AND c.sales_state <> 'CLOSED'
                    THEN 'UPCOMING'::"SalesState"
                ELSE c.sales_state END
$$;
