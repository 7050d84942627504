-- Sales states enforced where seats move (issue 20). PAUSED: no admission and no new hold;
-- holds already made can still be paid. CLOSED: no entry, hold or payment, and final. Sales
-- close by themselves at `sales_close_at`, or at the start when it is not set: every path
-- judges that by the database clock, and the sweeper then stores CLOSED and tidies up through
-- close_concert_sales, as a PATCH to CLOSED does. See docs/decisions.md, "Sales states".

-- The exit reason of a window or waiting place ended by the close, and of a hold it released:
-- the status already is the exit reason of both tables (EXPIRED, LEFT, COMPLETED, CANCELLED).
ALTER TYPE "QueueEntryStatus" ADD VALUE 'SALES_CLOSED';
ALTER TYPE "ReservationStatus" ADD VALUE 'SALES_CLOSED';

ALTER TABLE "concerts" ADD COLUMN "sales_close_at" TIMESTAMPTZ(3),
    ADD CONSTRAINT "concerts_sales_close_at_check" CHECK ("sales_close_at" <= "starts_at");

-- The sales state as of now by the database clock: past its close time (sales_close_at, else
-- starts_at) a concert is CLOSED whatever is stored, until the sweeper stores it.
CREATE FUNCTION "sales_state_now"(c "concerts") RETURNS "SalesState"
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN coalesce(c.sales_close_at, c.starts_at) <= clock_timestamp() THEN 'CLOSED'::"SalesState"
                ELSE c.sales_state END
$$;

-- The concert's sales lock, then its sales state read after it (NULL: no such concert).
-- Shared: every path that enters, admits, holds or pays takes it before any row lock, so a
-- change of sales state (exclusive) waits for the paths already past their check and the
-- later ones read the new state: each runs wholly before or wholly after the change. An
-- advisory lock rather than the concert row: waiting exclusive requests queue ahead of new
-- shared ones (row share locks would let a rush starve a close), and it writes no WAL.
-- VOLATILE: the read takes a fresh snapshot, taken after the lock, even inside one statement.
CREATE FUNCTION "lock_concert_sales"(p_concert_id UUID, p_exclusive BOOLEAN DEFAULT false)
RETURNS "SalesState" LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(7002, hashtext(p_concert_id::TEXT));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(7002, hashtext(p_concert_id::TEXT));
    END IF;
    RETURN (SELECT sales_state_now(c) FROM concerts c WHERE c.id = p_concert_id);
END;
$$;

-- Closes a concert's sales for good, in the caller's transaction: stores CLOSED, releases
-- every unpaid hold (seat AVAILABLE, reservation SALES_CLOSED, or EXPIRED if it had lapsed)
-- and ends every live queue entry (SALES_CLOSED, or EXPIRED for a lapsed window). Idempotent.
-- Locks: the sales lock (exclusive) → seats by id → reservations → queues → queue_entries.
-- Answers the holds released and the entries ended; no row when the concert does not exist.
CREATE FUNCTION "close_concert_sales"(p_concert_id UUID)
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
        SET status = CASE WHEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp() THEN 'EXPIRED'
                          ELSE 'SALES_CLOSED' END::"QueueEntryStatus",
            ended_at = clock_timestamp()
        WHERE e.concert_id = p_concert_id AND e.status IN ('WAITING', 'ACTIVE')
        RETURNING e.activated_at IS NOT NULL AS was_active
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER INTO v_ended, v_ended_active
    FROM ended_entries;
    -- Places ended while waiting are not LEFT: left_waiting_count counts those only. Nobody
    -- queues again behind them, since CLOSED is final.
    IF v_ended > 0 THEN
        UPDATE queues q SET active_count = q.active_count - v_ended_active, updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_released, v_ended;
END;
$$;

-- The functions below are their earlier definitions with one sales-state check each, marked
-- "Sales state (issue 20)". The rules and lock orders otherwise stand as described where they
-- were first defined (20261128000000_hold_seats_function, 20261128010000_payment_functions).

-- hold_seats: answers SALES_PAUSED or SALES_CLOSED (after CONCERT_NOT_FOUND, before QUEUE_NOT_ACTIVE).
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
    v_expires_at TIMESTAMPTZ;
    v_sales_state "SalesState";
BEGIN
    -- Sales state (issue 20): under the concert's sales lock, taken before any other lock.
    v_sales_state := lock_concert_sales(p_concert_id);
    IF v_sales_state IS NULL THEN
        RETURN QUERY SELECT 'CONCERT_NOT_FOUND', NULL::INTEGER, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    IF v_sales_state <> 'ON_SALE' THEN
        RETURN QUERY SELECT 'SALES_' || v_sales_state, NULL::INTEGER, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    -- End of the sales-state check.
    IF NOT queue_window_open(p_concert_id, p_user_id) THEN
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
               WHERE NOT (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= v_now)))
    INTO v_busy, v_missing, v_taken
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

    -- The lapsed holds on these seats end before the seats are held again (one live reservation per seat).
    UPDATE reservations r SET status = 'EXPIRED', updated_at = clock_timestamp()
    WHERE r.seat_id = ANY(p_seat_ids) AND r.status = 'PENDING' AND r.expires_at <= v_now;

    -- At the columns' millisecond precision, so that what is answered is what is stored.
    v_expires_at := (v_now + make_interval(secs => p_hold_seconds))::TIMESTAMPTZ(3);
    UPDATE seats s SET status = 'HELD', held_until = v_expires_at WHERE s.id = ANY(p_seat_ids);
    RETURN QUERY
    WITH inserted AS (
        INSERT INTO reservations (user_id, concert_id, seat_id, price, expires_at)
        SELECT p_user_id, p_concert_id, s.id, s.price, v_expires_at FROM seats s WHERE s.id = ANY(p_seat_ids)
        RETURNING reservations.id, reservations.seat_id
    )
    SELECT 'HELD', NULL::INTEGER, NULL::UUID[], i.id, i.seat_id, v_expires_at
    FROM unnest(p_seat_ids) WITH ORDINALITY AS a(id, ord)
    JOIN inserted i ON i.seat_id = a.id
    ORDER BY a.ord;
END;
$$;

-- end_queue_entries: admits nobody unless the concert is on sale by the database clock.
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
    v_left_waiting INTEGER;
    v_admitted INTEGER;
BEGIN
    -- Sales state (issue 20): admission only while on sale by the database clock, read under
    -- the concert's sales lock, taken before the queue row.
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
        SET status = CASE WHEN p_user_id IS NULL THEN 'EXPIRED' ELSE p_status END, ended_at = clock_timestamp()
        WHERE e.concert_id = p_concert_id
          AND CASE WHEN p_user_id IS NULL
                   THEN e.status = 'ACTIVE' AND e.expires_at <= clock_timestamp()
                   ELSE e.user_id = p_user_id
                        AND (e.status = 'ACTIVE' OR (e.status = 'WAITING' AND NOT p_only_active))
              END
        RETURNING e.activated_at IS NOT NULL AS was_active
    )
    SELECT count(*)::INTEGER, (count(*) FILTER (WHERE was_active))::INTEGER, (count(*) FILTER (WHERE NOT was_active))::INTEGER
    INTO v_ended, v_freed, v_left_waiting
    FROM ended_entries;

    WITH admitted_entries AS (
        UPDATE queue_entries e
        SET status = 'ACTIVE', activated_at = clock_timestamp(),
            expires_at = clock_timestamp() + make_interval(secs => v_window_seconds)
        WHERE e.id IN (SELECT w.id FROM queue_entries w
                       WHERE w.concert_id = p_concert_id AND w.status = 'WAITING'
                       ORDER BY w.ticket
                       LIMIT CASE WHEN v_on_sale THEN GREATEST(v_capacity - v_active + v_freed, 0) ELSE 0 END)
        RETURNING 1
    )
    SELECT count(*)::INTEGER INTO v_admitted FROM admitted_entries;

    IF v_ended + v_admitted > 0 THEN
        UPDATE queues q
        SET active_count = q.active_count + v_admitted - v_freed,
            activated_count = q.activated_count + v_admitted,
            left_waiting_count = q.left_waiting_count + v_left_waiting,
            updated_at = clock_timestamp()
        WHERE q.concert_id = p_concert_id;
    END IF;
    RETURN QUERY SELECT v_ended, v_admitted;
END;
$$;

-- pay_reservations: answers SALES_CLOSED (`reservation_ids`: those of the first closed concert), after
-- RESERVATION_FORBIDDEN and before the seat locks.
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
    created_at TIMESTAMPTZ
) LANGUAGE plpgsql AS $$
DECLARE
    v_ids UUID[];
    v_now TIMESTAMPTZ;
    v_total INTEGER;
    v_balance INTEGER;
    v_payment_id UUID;
    v_created_at TIMESTAMPTZ;
    v_confirmed INTEGER;
    v_sold INTEGER;
    v_concert_id UUID;
BEGIN
    SELECT array_agg(a.id ORDER BY a.ord) INTO v_ids
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    WHERE NOT EXISTS (SELECT 1 FROM reservations r WHERE r.id = a.id);
    IF v_ids IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_NOT_FOUND', v_ids, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    SELECT array_agg(a.id ORDER BY a.ord) INTO v_ids
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    JOIN reservations r ON r.id = a.id
    WHERE r.user_id <> p_user_id;
    IF v_ids IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_FORBIDDEN', v_ids, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    -- Sales state (issue 20): no payment once a concert's sales are closed (a PAUSED concert's
    -- holds can still be paid). Its sales lock comes before any row lock, concerts in id order.
    FOR v_concert_id IN
        SELECT DISTINCT r.concert_id FROM reservations r WHERE r.id = ANY(p_reservation_ids) ORDER BY r.concert_id
    LOOP
        IF lock_concert_sales(v_concert_id) = 'CLOSED' THEN
            SELECT array_agg(a.id ORDER BY a.ord) INTO v_ids
            FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
            JOIN reservations r ON r.id = a.id
            WHERE r.concert_id = v_concert_id;
            RETURN QUERY SELECT 'SALES_CLOSED', v_ids, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ;
            RETURN;
        END IF;
    END LOOP;
    -- End of the sales-state check.

    -- A reservation changes state only under its seat's lock, so once the seats are locked
    -- the reservations are locked without waiting, and the clock read after both is current.
    PERFORM 1 FROM seats s
    WHERE s.id IN (SELECT r.seat_id FROM reservations r WHERE r.id = ANY(p_reservation_ids))
    ORDER BY s.id FOR UPDATE;
    PERFORM 1 FROM reservations r WHERE r.id = ANY(p_reservation_ids) ORDER BY r.id FOR UPDATE;
    v_now := clock_timestamp();

    SELECT array_agg(a.id ORDER BY a.ord) INTO v_ids
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    JOIN reservations r ON r.id = a.id
    WHERE r.status = 'CONFIRMED';
    IF v_ids IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_ALREADY_PAID', v_ids, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;
    SELECT array_agg(a.id ORDER BY a.ord) INTO v_ids
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    JOIN reservations r ON r.id = a.id
    WHERE r.status <> 'PENDING' OR r.expires_at <= v_now;
    IF v_ids IS NOT NULL THEN
        RETURN QUERY SELECT 'RESERVATION_EXPIRED', v_ids, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    SELECT sum(r.price)::INTEGER INTO v_total FROM reservations r WHERE r.id = ANY(p_reservation_ids);
    -- Seats that cost nothing move no balance, so they write no ledger entry.
    IF v_total > 0 THEN
        UPDATE point_wallets w SET balance = w.balance - v_total, updated_at = clock_timestamp()
        WHERE w.user_id = p_user_id AND w.balance >= v_total
        RETURNING w.balance INTO v_balance;
        IF NOT FOUND THEN
            SELECT w.balance INTO v_balance FROM point_wallets w WHERE w.user_id = p_user_id;
            RETURN QUERY SELECT 'INSUFFICIENT_POINTS', NULL::UUID[], coalesce(v_balance, 0), v_total, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ;
            RETURN;
        END IF;
    END IF;

    INSERT INTO payments (user_id, total_amount, created_at)
    VALUES (p_user_id, v_total, clock_timestamp())
    RETURNING payments.id, payments.created_at INTO v_payment_id, v_created_at;
    IF v_total > 0 THEN
        -- clock_timestamp(): entries are written under the wallet lock, so their times follow
        -- the order in which the balance changed.
        INSERT INTO point_ledger (user_id, type, amount, balance_after, payment_id, created_at)
        VALUES (p_user_id, 'PAYMENT', -v_total, v_balance, v_payment_id, clock_timestamp());
    END IF;

    UPDATE reservations r SET status = 'CONFIRMED', payment_id = v_payment_id, updated_at = clock_timestamp()
    WHERE r.id = ANY(p_reservation_ids) AND r.status = 'PENDING';
    GET DIAGNOSTICS v_confirmed = ROW_COUNT;
    UPDATE seats s SET status = 'SOLD', held_until = NULL
    WHERE s.id IN (SELECT r.seat_id FROM reservations r WHERE r.id = ANY(p_reservation_ids)) AND s.status = 'HELD';
    GET DIAGNOSTICS v_sold = ROW_COUNT;
    -- Both hold under the locks taken above; anything else is a bug, and the payment rolls back.
    IF v_confirmed <> cardinality(p_reservation_ids) OR v_sold <> cardinality(p_reservation_ids) THEN
        RAISE EXCEPTION 'payment %: confirmed % and sold % of % reservations',
            v_payment_id, v_confirmed, v_sold, cardinality(p_reservation_ids);
    END IF;

    -- Paying ends the user's window in each concert and admits the next user, in concert id order.
    FOR v_concert_id IN
        SELECT DISTINCT r.concert_id FROM reservations r WHERE r.id = ANY(p_reservation_ids) ORDER BY r.concert_id
    LOOP
        PERFORM end_queue_entries(v_concert_id, p_user_id, 'COMPLETED', true);
    END LOOP;

    RETURN QUERY SELECT 'PAID', NULL::UUID[], v_balance, v_total, v_payment_id, v_total, v_created_at;
END;
$$;
