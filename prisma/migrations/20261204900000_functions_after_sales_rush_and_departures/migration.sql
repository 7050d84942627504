-- Written by `npm run db:functions` from prisma/functions/: redefines close_concert_sales, end_queue_entries, hold_seats, pay_reservations.
-- Change the source file, not this migration.

-- Closes a concert's sales for good, in the caller's transaction: stores CLOSED, releases
-- every unpaid hold (seat AVAILABLE, reservation SALES_CLOSED, or EXPIRED if it had lapsed)
-- and ends every live queue entry (SALES_CLOSED; EXPIRED for a lapsed window, COMPLETED for a
-- window a payment ended). Idempotent.
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
                          WHEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp() THEN 'EXPIRED'
                          ELSE 'SALES_CLOSED' END::"QueueEntryStatus",
            ended_at = coalesce(e.ended_at, clock_timestamp())
        WHERE e.concert_id = p_concert_id AND e.status IN ('WAITING', 'ACTIVE')
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

-- Ends entries of one concert's queue and gives the places that frees (and any other free
-- place) to the longest-waiting users, moving the counters. p_user_id NULL ends the windows
-- that lapsed (EXPIRED) or that a payment marked (ended_at set: COMPLETED at the payment's
-- time); otherwise the user's live entry (only an ACTIVE one if p_only_active) with p_status.
-- Admits only while the concert is on sale by the database clock. Locks the concert's sales
-- lock (shared), then the queues row; each later statement takes a fresh snapshot, so it sees
-- every user who entered or was admitted while it waited. A waiting user's departure is
-- counted by the queue_entries_departure trigger, not here. No row when the concert has no queue.
CREATE OR REPLACE FUNCTION "end_queue_entries"(
    p_concert_id UUID,
    p_user_id UUID,
    p_status "QueueEntryStatus",
    p_only_active BOOLEAN
) RETURNS TABLE (ended INTEGER, admitted INTEGER) LANGUAGE plpgsql AS $$
DECLARE
    v_active INTEGER;
    v_capacity INTEGER;
    v_window_seconds INTEGER;
    v_on_sale BOOLEAN;
    v_ended INTEGER;
    v_freed INTEGER;
    v_admitted INTEGER;
BEGIN
    -- Admission only while on sale by the database clock, read under the concert's sales lock
    -- (shared), taken before the queue row.
    v_on_sale := coalesce(lock_concert_sales(p_concert_id) = 'ON_SALE', false);
    SELECT q.active_count, c.queue_capacity, c.queue_window_seconds
    INTO v_active, v_capacity, v_window_seconds
    FROM queues q JOIN concerts c ON c.id = q.concert_id
    WHERE q.concert_id = p_concert_id
    FOR UPDATE OF q;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    WITH ended_entries AS (
        UPDATE queue_entries e
        SET status = CASE WHEN e.status = 'ACTIVE' AND e.ended_at IS NOT NULL THEN 'COMPLETED'
                          WHEN p_user_id IS NULL THEN 'EXPIRED'
                          ELSE p_status END,
            ended_at = coalesce(e.ended_at, clock_timestamp())
        WHERE e.concert_id = p_concert_id
          AND CASE WHEN p_user_id IS NULL
                   THEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp()
                   ELSE e.user_id = p_user_id
                        AND (e.status = 'ACTIVE' OR (e.status = 'WAITING' AND NOT p_only_active))
              END
        RETURNING e.activated_at IS NOT NULL AS was_active
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER
    INTO v_ended, v_freed
    FROM ended_entries;

    WITH admitted_entries AS (
        UPDATE queue_entries e
        SET status = 'ACTIVE', activated_at = clock_timestamp(),
            expires_at = clock_timestamp() + make_interval(secs => v_window_seconds)
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
    RETURN QUERY SELECT v_ended, v_admitted;
END;
$$;

-- A seat hold in one round trip. As an interactive transaction a hold took eight round trips
-- (BEGIN, six statements, COMMIT) and kept its pool connection for all of them: under a seat
-- rush, holds queued for connections far longer than they ran. The hold-cap count must see
-- holds committed while this call waited for the user's lock, which needs a statement after
-- the lock: hence a function (each of its statements takes a fresh snapshot), not one CTE.
--
-- Answers one row per seat held (outcome 'HELD', in the order asked), or one row naming the
-- first rule broken, checked in this order; a refusal changes nothing:
--   CONCERT_NOT_FOUND; SALES_PAUSED or SALES_CLOSED (by the database clock, under the concert's
--   sales lock); QUEUE_NOT_ACTIVE (no open window by the database clock);
--   HOLD_LIMIT_EXCEEDED (live holds in the concert + seats asked > p_max_seats; `held`);
--   SEAT_LOCKED (another transaction is holding or paying one of the seats right now; `seat_ids`);
--   SEAT_NOT_FOUND (not a seat of this concert; `seat_ids`);
--   SEAT_ALREADY_RESERVED (held by a live hold, or sold; `seat_ids`).
-- Locks: the concert's sales lock (shared, lock_concert_sales), the user's hold lock (advisory,
-- namespace 7001), then the seats in id order without waiting, then reservations: the same
-- order as every other path.
CREATE OR REPLACE FUNCTION "hold_seats"(
    p_user_id UUID,
    p_concert_id UUID,
    p_seat_ids UUID[],
    p_max_seats INTEGER,
    p_hold_seconds INTEGER
) RETURNS TABLE (
    outcome TEXT,
    held INTEGER,
    seat_ids UUID[],
    hold_id UUID,
    hold_seat_id UUID,
    hold_expires_at TIMESTAMPTZ
) LANGUAGE plpgsql AS $$
DECLARE
    v_now TIMESTAMPTZ;
    v_held INTEGER;
    v_locked UUID[];
    v_busy UUID[];
    v_missing UUID[];
    v_taken UUID[];
    v_lapsed_holds INTEGER;
    v_expires_at TIMESTAMPTZ;
    v_sales_state "SalesState";
BEGIN
    -- The concert's sales lock (shared) before any other lock, and its state by the clock.
    v_sales_state := lock_concert_sales(p_concert_id);
    IF v_sales_state IS NULL THEN
        RETURN QUERY SELECT 'CONCERT_NOT_FOUND', NULL::INTEGER, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    ELSIF v_sales_state = 'PAUSED' THEN
        RETURN QUERY SELECT 'SALES_PAUSED', NULL::INTEGER, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    ELSIF v_sales_state = 'CLOSED' THEN
        RETURN QUERY SELECT 'SALES_CLOSED', NULL::INTEGER, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    ELSIF NOT queue_window_open(p_concert_id, p_user_id) THEN
        RETURN QUERY SELECT 'QUEUE_NOT_ACTIVE', NULL::INTEGER, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    -- Two parallel holds by one user must not both pass the cap: they take turns here.
    PERFORM pg_advisory_xact_lock(7001, hashtext(p_user_id::TEXT || ':' || p_concert_id::TEXT));
    v_now := clock_timestamp();
    SELECT count(*)::INTEGER INTO v_held FROM reservations r
    WHERE r.user_id = p_user_id AND r.concert_id = p_concert_id AND r.status = 'PENDING' AND r.expires_at > v_now;
    IF v_held + cardinality(p_seat_ids) > p_max_seats THEN
        RETURN QUERY SELECT 'HOLD_LIMIT_EXCEEDED', v_held, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    -- A seat someone else has locked is being held or paid: waiting for it would mostly end
    -- in a refusal anyway, only later, and would let lock queues build up on popular seats.
    SELECT array_agg(l.id) INTO v_locked
    FROM (SELECT s.id FROM seats s WHERE s.id = ANY(p_seat_ids) ORDER BY s.id FOR UPDATE SKIP LOCKED) l;
    -- The three refusals about seats in one pass, each listing its seats in the order asked.
    -- Bookable: AVAILABLE, or HELD by a hold whose time is up (the sweeper may not have run yet).
    SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE s.id IS NOT NULL AND a.id <> ALL(coalesce(v_locked, '{}'))),
           array_agg(a.id ORDER BY a.ord) FILTER (WHERE s.id IS NULL OR s.concert_id <> p_concert_id),
           array_agg(a.id ORDER BY a.ord) FILTER (
               WHERE NOT (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= v_now))),
           count(*) FILTER (WHERE s.status = 'HELD')
    INTO v_busy, v_missing, v_taken, v_lapsed_holds
    FROM unnest(p_seat_ids) WITH ORDINALITY AS a(id, ord)
    LEFT JOIN seats s ON s.id = a.id;
    IF v_busy IS NOT NULL THEN
        RETURN QUERY SELECT 'SEAT_LOCKED', NULL::INTEGER, v_busy, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    ELSIF v_missing IS NOT NULL THEN
        RETURN QUERY SELECT 'SEAT_NOT_FOUND', NULL::INTEGER, v_missing, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    ELSIF v_taken IS NOT NULL THEN
        RETURN QUERY SELECT 'SEAT_ALREADY_RESERVED', NULL::INTEGER, v_taken, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    -- The lapsed holds on these seats end before the seats are held again (one live
    -- reservation per seat): a statement of its own, so the insert below sees them ended.
    IF v_lapsed_holds > 0 THEN
        UPDATE reservations r SET status = 'EXPIRED', updated_at = clock_timestamp()
        WHERE r.seat_id = ANY(p_seat_ids) AND r.status = 'PENDING' AND r.expires_at <= v_now;
    END IF;

    -- At the columns' millisecond precision, so that what is answered is what is stored.
    v_expires_at := (v_now + make_interval(secs => p_hold_seconds))::TIMESTAMPTZ(3);
    RETURN QUERY
    WITH held_seats AS (
        UPDATE seats s SET status = 'HELD', held_until = v_expires_at WHERE s.id = ANY(p_seat_ids)
        RETURNING s.id, s.price
    ), inserted AS (
        INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
        SELECT p_user_id, p_concert_id, h.id, h.price, v_expires_at FROM held_seats h
        RETURNING reservations.id, reservations.seat_id
    )
    SELECT 'HELD', NULL::INTEGER, NULL::UUID[], i.id, i.seat_id, v_expires_at
    FROM unnest(p_seat_ids) WITH ORDINALITY AS a(id, ord)
    JOIN inserted i ON i.seat_id = a.id
    ORDER BY a.ord;
END;
$$;

-- Pays the user's held reservations, all or none. Answers one row: 'PAID' with the payment and
-- the concerts whose window it ended (`concert_ids`), or the first rule broken, checked in this
-- order; a refusal changes nothing:
--   RESERVATION_NOT_FOUND (`reservation_ids`); RESERVATION_FORBIDDEN (another user's; `reservation_ids`);
--   SALES_CLOSED (those of the first closed concert; a PAUSED concert's holds can still be paid);
--   RESERVATION_ALREADY_PAID (`reservation_ids`); RESERVATION_EXPIRED (lapsed by the database
--   clock, expired or cancelled; `reservation_ids`); INSUFFICIENT_POINTS (`balance`, `required`).
-- Locks in the order every path uses: each concert's sales lock (shared) by concert id, seats by
-- id, reservations by id, the wallet, then the payer's own ACTIVE queue entries. It takes no
-- `queues` row: the payer's window ends at once (expires_at, ended_at) and the app admits the
-- next user right after the commit (end_queue_entries, coalesced per concert; the sweeper is the
-- backstop). See docs/decisions.md, "A payment marks the window; the admit follows".
CREATE OR REPLACE FUNCTION "pay_reservations"(
    p_user_id UUID,
    p_reservation_ids UUID[]
) RETURNS TABLE (
    outcome TEXT,
    reservation_ids UUID[],
    balance INTEGER,
    required INTEGER,
    payment_id UUID,
    total_amount INTEGER,
    created_at TIMESTAMPTZ,
    concert_ids UUID[]
) LANGUAGE plpgsql AS $$
DECLARE
    v_missing UUID[];
    v_foreign UUID[];
    v_paid UUID[];
    v_lapsed UUID[];
    v_concert_ids UUID[];
    v_now TIMESTAMPTZ;
    v_total INTEGER;
    v_balance INTEGER;
    v_payment_id UUID;
    v_created_at TIMESTAMPTZ;
    v_confirmed INTEGER;
    v_sold INTEGER;
    v_concert_id UUID;
    v_closed UUID[];
BEGIN
    SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.id IS NULL),
           array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.user_id <> p_user_id)
    INTO v_missing, v_foreign
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    LEFT JOIN reservations r ON r.id = a.id;
    IF v_missing IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_NOT_FOUND', v_missing, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
        RETURN;
    ELSIF v_foreign IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_FORBIDDEN', v_foreign, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
        RETURN;
    END IF;

    -- No payment once a concert's sales are closed (a PAUSED concert's holds can still be paid).
    -- Each concert's sales lock (shared) comes before any row lock, concerts in id order.
    FOR v_concert_id IN
        SELECT DISTINCT r.concert_id FROM reservations r WHERE r.id = ANY(p_reservation_ids) ORDER BY r.concert_id
    LOOP
        IF lock_concert_sales(v_concert_id) = 'CLOSED' THEN
            SELECT array_agg(a.id ORDER BY a.ord) INTO v_closed
            FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
            JOIN reservations r ON r.id = a.id
            WHERE r.concert_id = v_concert_id;
            RETURN QUERY SELECT 'SALES_CLOSED', v_closed, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
            RETURN;
        END IF;
    END LOOP;

    -- A reservation changes state only under its seat's lock, so once the seats are locked
    -- the reservations lock without waiting, and the clock read here is current for both.
    PERFORM 1 FROM seats s
    WHERE s.id IN (SELECT r.seat_id FROM reservations r WHERE r.id = ANY(p_reservation_ids))
    ORDER BY s.id FOR UPDATE;
    v_now := clock_timestamp();

    SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.status = 'CONFIRMED'),
           array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.status <> 'PENDING' OR r.expires_at <= v_now),
           sum(r.price)::INTEGER,
           array_agg(DISTINCT r.concert_id ORDER BY r.concert_id)
    INTO v_paid, v_lapsed, v_total, v_concert_ids
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    JOIN (SELECT l.id, l.status, l.expires_at, l.price, l.concert_id FROM reservations l
          WHERE l.id = ANY(p_reservation_ids) ORDER BY l.id FOR UPDATE) r ON r.id = a.id;
    IF v_paid IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_ALREADY_PAID', v_paid, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
        RETURN;
    ELSIF v_lapsed IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_EXPIRED', v_lapsed, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
        RETURN;
    END IF;

    -- Seats that cost nothing move no balance, so they write no ledger entry.
    IF v_total > 0 THEN
        UPDATE point_wallets w SET balance = w.balance - v_total, updated_at = clock_timestamp()
        WHERE w.user_id = p_user_id AND w.balance >= v_total
        RETURNING w.balance INTO v_balance;
        IF NOT FOUND THEN
            SELECT w.balance INTO v_balance FROM point_wallets w WHERE w.user_id = p_user_id;
            RETURN QUERY SELECT 'INSUFFICIENT_POINTS', NULL::UUID[], coalesce(v_balance, 0), v_total, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
            RETURN;
        END IF;
    END IF;

    -- clock_timestamp(): ledger entries are written under the wallet lock, so their times
    -- follow the order in which the balance changed.
    WITH payment AS (
        INSERT INTO payments (user_id, total_amount, created_at)
        VALUES (p_user_id, v_total, clock_timestamp())
        RETURNING payments.id, payments.created_at
    ), ledger AS (
        INSERT INTO point_ledger (user_id, type, amount, balance_after, payment_id, created_at)
        SELECT p_user_id, 'PAYMENT', -v_total, v_balance, payment.id, clock_timestamp() FROM payment
        WHERE v_total > 0
    )
    SELECT payment.id, payment.created_at INTO v_payment_id, v_created_at FROM payment;

    WITH confirmed AS (
        UPDATE reservations r SET status = 'CONFIRMED', payment_id = v_payment_id, updated_at = clock_timestamp()
        WHERE r.id = ANY(p_reservation_ids) AND r.status = 'PENDING'
        RETURNING r.seat_id
    ), sold AS (
        UPDATE seats s SET status = 'SOLD', held_until = NULL
        FROM confirmed WHERE s.id = confirmed.seat_id AND s.status = 'HELD'
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM confirmed)::INTEGER, (SELECT count(*) FROM sold)::INTEGER INTO v_confirmed, v_sold;
    -- Both hold under the locks taken above; anything else is a bug, and the payment rolls back.
    IF v_confirmed <> cardinality(p_reservation_ids) OR v_sold <> cardinality(p_reservation_ids) THEN
        RAISE EXCEPTION 'payment %: confirmed % and sold % of % reservations',
            v_payment_id, v_confirmed, v_sold, cardinality(p_reservation_ids);
    END IF;

    -- Paying ends the payer's window in each concert at once (every gate reads expires_at); the
    -- place goes to the next user when the entry is ended under the queue row's lock.
    UPDATE queue_entries e SET expires_at = LEAST(e.expires_at, clock_timestamp()), ended_at = clock_timestamp()
    WHERE e.concert_id = ANY(v_concert_ids) AND e.user_id = p_user_id AND e.status = 'ACTIVE' AND e.ended_at IS NULL;

    RETURN QUERY SELECT 'PAID', NULL::UUID[], v_balance, v_total, v_payment_id, v_total, v_created_at, v_concert_ids;
END;
$$;
