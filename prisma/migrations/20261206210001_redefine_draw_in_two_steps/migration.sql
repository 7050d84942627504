-- Written by `npm run db:functions` from prisma/functions/: redefines draw_pre_queue, end_queue_entries, open_sales_for_draw, sales_state_now.
-- Change the source file, not this migration.

-- The pre-queue's draw, once per concert, after open_sales_for_draw opened its sales and
-- reserved tickets 1..draw_tickets: every entry still PRE_QUEUE gets its ticket in the order of
-- sha256(draw_seed || the entry id's 16 bytes), ascending (ties, never seen, by id), tickets
-- 1..k; a reserved ticket left over (k+1..draw_tickets: entrants who left after the opening,
-- before their ticket) counts as a departure, so the counters stay exact. Then the first
-- queue_capacity waiting tickets are admitted (while ON_SALE), as end_queue_entries would admit
-- them: unclaimed, with the concert's claim time (expires_at = now + queue_claim_seconds,
-- claimed_at NULL); queue_window_open or a poll claims the place, else it lapses as NO_SHOW.
-- Anyone can recompute that order from the published seed and entry ids (README: "Checking
-- the draw"). Set-based: one statement orders and tickets every entry.
--
-- Without the sales lock: entries arriving meanwhile took tickets after draw_tickets and wait;
-- nobody is admitted until this commits (end_queue_entries admits nobody while a concert is
-- opened but not drawn). Not opened yet (a direct call), it calls open_sales_for_draw first,
-- in this transaction.
--
-- Answers one row: 'DRAWN' with the entrants and the users admitted, or why nothing was drawn:
--   CONCERT_NOT_FOUND; NO_DRAW, NOT_OPEN_YET, SALES_CLOSED (from open_sales_for_draw, or closed
--   between the two steps); ALREADY_DRAWN (`entrants` of that draw).
-- Exactly once, whichever replica calls it: the concerts row, locked first (FOR NO KEY UPDATE,
-- which entries' foreign-key checks do not wait for), serializes the draws, and drawn_at marks
-- it done under it.
-- Locks: the concerts row → the PRE_QUEUE entries by id (a leave racing the draw then either
-- ended its entry before or sees it drawn) → the queues row → the admitted entries → the
-- departure buckets, then stripes, in key order (as a leave takes them). A sales close waits
-- for the concerts row, so it never holds the queues row against this.
CREATE OR REPLACE FUNCTION "draw_pre_queue"(p_concert_id UUID)
RETURNS TABLE (outcome TEXT, entrants INTEGER, admitted INTEGER) LANGUAGE plpgsql AS $$
DECLARE
    v_opened BOOLEAN;
    v_opening TEXT;
    v_on_sale BOOLEAN;
    v_stored_state "SalesState";
    v_capacity INTEGER;
    v_claim_seconds INTEGER;
    v_seed BYTEA;
    v_draw_tickets INTEGER;
    v_drawn_entrants INTEGER;
    v_active INTEGER;
    v_entrants INTEGER;
    v_free INTEGER;
    v_admitted_drawn INTEGER;
    v_admitted_late INTEGER := 0;
BEGIN
    SELECT c.sales_opened_at IS NOT NULL INTO v_opened FROM concerts c WHERE c.id = p_concert_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'CONCERT_NOT_FOUND', NULL::INTEGER, NULL::INTEGER;
        RETURN;
    ELSIF NOT v_opened THEN
        -- Before any row lock: the sales lock comes first.
        SELECT o.outcome INTO v_opening FROM open_sales_for_draw(p_concert_id) o;
        IF v_opening = 'NO_DRAW' THEN
            RETURN QUERY SELECT 'NO_DRAW', NULL::INTEGER, NULL::INTEGER;
            RETURN;
        ELSIF v_opening = 'NOT_OPEN_YET' THEN
            RETURN QUERY SELECT 'NOT_OPEN_YET', NULL::INTEGER, NULL::INTEGER;
            RETURN;
        ELSIF v_opening = 'SALES_CLOSED' THEN
            RETURN QUERY SELECT 'SALES_CLOSED', NULL::INTEGER, NULL::INTEGER;
            RETURN;
        END IF;
    END IF;

    SELECT c.draw_seed, c.draw_tickets, c.draw_entrants, c.sales_state, sales_state_now(c) = 'ON_SALE',
           c.queue_capacity, c.queue_claim_seconds
    INTO v_seed, v_draw_tickets, v_drawn_entrants, v_stored_state, v_on_sale, v_capacity, v_claim_seconds
    -- NO KEY: entries' inserts check their foreign key with FOR KEY SHARE on this row.
    FROM concerts c WHERE c.id = p_concert_id FOR NO KEY UPDATE;
    IF v_drawn_entrants IS NOT NULL THEN
        RETURN QUERY SELECT 'ALREADY_DRAWN', v_drawn_entrants, NULL::INTEGER;
        RETURN;
    ELSIF v_stored_state = 'CLOSED' THEN
        -- Closed between the two steps: the close ended every entry.
        RETURN QUERY SELECT 'SALES_CLOSED', NULL::INTEGER, NULL::INTEGER;
        RETURN;
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
    IF v_entrants > v_draw_tickets THEN
        RAISE EXCEPTION 'draw of concert %: % entrants for % reserved tickets', p_concert_id, v_entrants, v_draw_tickets;
    END IF;

    SELECT q.active_count INTO v_active FROM queues q WHERE q.concert_id = p_concert_id FOR UPDATE;
    v_free := CASE WHEN v_on_sale THEN GREATEST(v_capacity - v_active, 0) ELSE 0 END;

    -- The first places, by the (concert_id, ticket) index. Not through end_queue_entries: just
    -- after this bulk change the statistics still count the drawn entries as PRE_QUEUE, and its
    -- admission then planned a nested loop over every waiting entry (26 s for 100,000). PAUSED
    -- (stored) admits nobody yet. Admitted as end_queue_entries admits: the claim time,
    -- claimed_at left NULL until the first claim.
    v_admitted_drawn := LEAST(v_free, v_entrants);
    UPDATE queue_entries e
    SET status = 'ACTIVE', activated_at = clock_timestamp(),
        expires_at = clock_timestamp() + make_interval(secs => v_claim_seconds)
    WHERE e.concert_id = p_concert_id AND e.ticket <= v_admitted_drawn;
    -- Places left over go to those who entered after the opening, in ticket order: fewer drawn
    -- entrants than places, so few rows.
    IF v_free > v_admitted_drawn THEN
        WITH late AS (
            UPDATE queue_entries e
            SET status = 'ACTIVE', activated_at = clock_timestamp(),
                expires_at = clock_timestamp() + make_interval(secs => v_claim_seconds)
            WHERE e.id IN (SELECT w.id FROM queue_entries w
                           WHERE w.concert_id = p_concert_id AND w.status = 'WAITING' AND w.ticket > v_draw_tickets
                           ORDER BY w.ticket LIMIT v_free - v_admitted_drawn)
              AND e.status = 'WAITING'
            RETURNING 1
        )
        SELECT count(*)::INTEGER INTO v_admitted_late FROM late;
    END IF;

    -- Reserved tickets nobody holds: departures, recorded as record_queue_departure records them.
    IF v_draw_tickets > v_entrants THEN
        INSERT INTO queue_departure_buckets AS b (concert_id, bucket, mask, changed_xid)
        SELECT p_concert_id, t >> 6, bit_or(1::BIGINT << (t & 63)::INTEGER), pg_current_xact_id()::TEXT::BIGINT
        FROM generate_series(v_entrants + 1::BIGINT, v_draw_tickets) AS t
        GROUP BY t >> 6 ORDER BY t >> 6
        ON CONFLICT (concert_id, bucket)
        DO UPDATE SET mask = b.mask | EXCLUDED.mask, changed_xid = EXCLUDED.changed_xid;
        INSERT INTO queue_departure_stripes AS s (concert_id, stripe, departed)
        SELECT p_concert_id, ((t >> 6) & 15)::SMALLINT, count(*)
        FROM generate_series(v_entrants + 1::BIGINT, v_draw_tickets) AS t
        GROUP BY ((t >> 6) & 15)::SMALLINT ORDER BY ((t >> 6) & 15)::SMALLINT
        ON CONFLICT (concert_id, stripe) DO UPDATE SET departed = s.departed + EXCLUDED.departed;
    END IF;

    UPDATE queues q
    SET active_count = q.active_count + v_admitted_drawn + v_admitted_late,
        activated_count = q.activated_count + v_admitted_drawn + v_admitted_late, updated_at = clock_timestamp()
    WHERE q.concert_id = p_concert_id;
    UPDATE concerts c SET drawn_at = clock_timestamp(), draw_entrants = v_entrants, updated_at = clock_timestamp()
    WHERE c.id = p_concert_id;
    RETURN QUERY SELECT 'DRAWN', v_entrants, v_admitted_drawn + v_admitted_late;
END;
$$;

-- Ends entries of one concert's queue and gives the places that frees (and any other free
-- place) to the longest-waiting users, moving the counters. p_user_id NULL ends the windows
-- that lapsed (EXPIRED once claimed, NO_SHOW if never claimed) or that a payment marked
-- (ended_at set: COMPLETED at the payment's time); otherwise the user's live entry (only an
-- ACTIVE one if p_only_active) with p_status. An admitted user gets the concert's claim time
-- (expires_at = now + queue_claim_seconds, claimed_at NULL); queue_window_open claims it.
-- Answers how many entries ended (in all, and of them EXPIRED, NO_SHOW, COMPLETED) and how
-- many were admitted.
-- Admits only while the concert is on sale by the database clock, and not between the opening
-- of its sales and its draw (open_sales_for_draw, draw_pre_queue): the drawn tickets, ahead of
-- every waiting one, are not given yet. Locks the concert's sales
-- lock (shared), then the queues row; each later statement takes a fresh snapshot, so it sees
-- every user who entered or was admitted while it waited. A waiting user's departure is
-- counted by the queue_entries_departure trigger, not here. No row when the concert has no queue.
CREATE OR REPLACE FUNCTION "end_queue_entries"(
    p_concert_id UUID,
    p_user_id UUID,
    p_status "QueueEntryStatus",
    p_only_active BOOLEAN
) RETURNS TABLE (ended INTEGER, admitted INTEGER, expired INTEGER, no_show INTEGER, completed INTEGER)
LANGUAGE plpgsql AS $$
DECLARE
    v_active INTEGER;
    v_capacity INTEGER;
    v_claim_seconds INTEGER;
    v_on_sale BOOLEAN;
    v_ended INTEGER;
    v_freed INTEGER;
    v_expired INTEGER;
    v_no_show INTEGER;
    v_completed INTEGER;
    v_admitted INTEGER;
BEGIN
    -- Admission only while on sale by the database clock, read under the concert's sales lock
    -- (shared), taken before the queue row.
    v_on_sale := coalesce(lock_concert_sales(p_concert_id) = 'ON_SALE', false);
    -- Read with the queue row: a draw committing while this waits for that row is seen here
    -- as not drawn yet (the concerts row is not re-read), which only admits nobody this time.
    SELECT q.active_count, c.queue_capacity, c.queue_claim_seconds, v_on_sale AND NOT (c.sales_opened_at IS NOT NULL AND c.drawn_at IS NULL)
    INTO v_active, v_capacity, v_claim_seconds, v_on_sale
    FROM queues q JOIN concerts c ON c.id = q.concert_id
    WHERE q.concert_id = p_concert_id
    FOR UPDATE OF q;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    WITH ended_entries AS (
        UPDATE queue_entries e
        SET status = CASE WHEN e.status = 'ACTIVE' AND e.ended_at IS NOT NULL THEN 'COMPLETED'
                          WHEN p_user_id IS NULL AND e.claimed_at IS NULL THEN 'NO_SHOW'
                          WHEN p_user_id IS NULL THEN 'EXPIRED'
                          ELSE p_status END,
            ended_at = coalesce(e.ended_at, clock_timestamp())
        WHERE e.concert_id = p_concert_id
          AND CASE WHEN p_user_id IS NULL
                   THEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp()
                   ELSE e.user_id = p_user_id
                        AND (e.status = 'ACTIVE' OR (e.status = 'WAITING' AND NOT p_only_active))
              END
        RETURNING e.activated_at IS NOT NULL AS was_active, e.status
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER,
           (count(*) FILTER (WHERE status = 'EXPIRED'))::INTEGER,
           (count(*) FILTER (WHERE status = 'NO_SHOW'))::INTEGER,
           (count(*) FILTER (WHERE status = 'COMPLETED'))::INTEGER
    INTO v_ended, v_freed, v_expired, v_no_show, v_completed
    FROM ended_entries;

    WITH admitted_entries AS (
        UPDATE queue_entries e
        SET status = 'ACTIVE', activated_at = clock_timestamp(),
            expires_at = clock_timestamp() + make_interval(secs => v_claim_seconds)
        WHERE e.id IN (SELECT w.id FROM queue_entries w
                       WHERE w.concert_id = p_concert_id AND w.status = 'WAITING'
                       ORDER BY w.ticket
                       LIMIT CASE WHEN v_on_sale THEN GREATEST(v_capacity - v_active + v_freed, 0) ELSE 0 END)
          -- Re-checked on the row as locked: a waiting user leaves without this function, so a
          -- concurrent leave may have ended the entry after this statement chose it.
          AND e.status = 'WAITING'
        RETURNING 1
    )
    SELECT count(*)::INTEGER INTO v_admitted FROM admitted_entries;

    IF v_ended + v_admitted > 0 THEN
        UPDATE queues q
        SET active_count = q.active_count + v_admitted - v_freed,
            activated_count = q.activated_count + v_admitted,
            updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_ended, v_admitted, v_expired, v_no_show, v_completed;
END;
$$;

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

-- The sales state as of now by the database clock: past its close time (sales_close_at, else
-- starts_at) a concert is CLOSED whatever is stored, until the sweeper stores it. A concert
-- with an opening (sales_open_at) is UPCOMING until the draw opens its sales (sales_opened_at,
-- see open_sales_for_draw): tickets 1..draw_tickets are then the pre-queue's, so no ticket is
-- given before the drawn ones.
CREATE OR REPLACE FUNCTION "sales_state_now"(c "concerts") RETURNS "SalesState"
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN coalesce(c.sales_close_at, c.starts_at) <= clock_timestamp() THEN 'CLOSED'::"SalesState"
                WHEN c.sales_open_at IS NOT NULL AND c.sales_opened_at IS NULL AND c.sales_state <> 'CLOSED'
                    THEN 'UPCOMING'::"SalesState"
                ELSE c.sales_state END
$$;
