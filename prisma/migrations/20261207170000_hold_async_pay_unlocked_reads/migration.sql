-- Written by `npm run db:functions` from prisma/functions/: redefines hold_seats, pay_reservations.
-- Change the source file, not this migration.

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
--   SEAT_NOT_FOUND (not a seat of this concert; `seat_ids`);
--   SEAT_ALREADY_RESERVED (held by a live hold, or sold; `seat_ids`);
--   SEAT_LOCKED (every seat bookable, but another transaction is holding or paying one of them
--   right now; `seat_ids`).
-- Locks: the concert's sales lock (shared, lock_concert_sales), the user's hold lock (advisory,
-- namespace 7001), then the seats in id order without waiting (none when one is taken), then
-- reservations: the same order as every other path.
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
) LANGUAGE plpgsql
-- Every statement planned once per connection, also those over the arrays asked for: their
-- generic plans assume ten elements, look dearer than a plan for two and were planned again
-- on every call, for a third of the call's time. test/e2e/sql-function-plans.e2e-spec.ts
-- checks that every one of these plans probes an index, on statistics gone stale.
SET plan_cache_mode = force_generic_plan
AS $$
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
    -- A hold commits without waiting for its WAL flush (to the end of the transaction: not a
    -- SET clause, which would be undone before the commit). A hold lost in a crash is a hold
    -- that lapsed: its payment is refused, and the payment that confirms a hold flushes it
    -- first. A refusal changes nothing. See docs/decisions.md, "Holds commit asynchronously".
    PERFORM set_config('synchronous_commit', 'off', true);
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

    -- The seats, locked only when every one asked is of this concert and bookable in this
    -- statement's snapshot (the condition on the scan's side is judged once, before any row):
    -- a request for a seat already taken, the usual refusal in a rush, then locks no row,
    -- writes nothing and commits no transaction. A seat someone else has locked is being held
    -- or paid: waiting for it would mostly end in a refusal anyway, only later, and would let
    -- lock queues build up on popular seats. Rows are judged again as locked (their latest
    -- versions), so a seat held since the snapshot is not locked.
    -- Bookable: AVAILABLE, or HELD by a hold whose time is up (the sweeper may not have run yet).
    SELECT array_agg(l.id), count(*) FILTER (WHERE l.status = 'HELD')
    INTO v_locked, v_lapsed_holds
    FROM (SELECT s.id, s.status FROM seats s
          WHERE s.id = ANY(p_seat_ids) AND s.concert_id = p_concert_id
            AND (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= v_now))
            AND (SELECT count(*) FROM unnest(p_seat_ids) AS a(id) JOIN seats b ON b.id = a.id
                 WHERE b.concert_id = p_concert_id
                   AND (b.status = 'AVAILABLE' OR (b.status = 'HELD' AND b.held_until <= v_now)))
                = cardinality(p_seat_ids)
          ORDER BY s.id FOR UPDATE SKIP LOCKED) l;
    -- Otherwise a seat is no seat of this concert, or taken, or locked by another (or asked
    -- twice): the three refusals about seats read afresh in one pass, each listing its seats in
    -- the order asked, and a seat locked by another only when every seat is otherwise bookable.
    IF coalesce(cardinality(v_locked), 0) < cardinality(p_seat_ids) THEN
        SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE s.id IS NULL OR s.concert_id <> p_concert_id),
               array_agg(a.id ORDER BY a.ord) FILTER (
                   WHERE NOT (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= v_now))),
               array_agg(a.id ORDER BY a.ord) FILTER (WHERE a.id <> ALL(coalesce(v_locked, '{}')))
        INTO v_missing, v_taken, v_busy
        FROM unnest(p_seat_ids) WITH ORDINALITY AS a(id, ord)
        LEFT JOIN seats s ON s.id = a.id;
        IF v_missing IS NOT NULL THEN
            RETURN QUERY SELECT 'SEAT_NOT_FOUND', NULL::INTEGER, v_missing, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
            RETURN;
        ELSIF v_taken IS NOT NULL THEN
            RETURN QUERY SELECT 'SEAT_ALREADY_RESERVED', NULL::INTEGER, v_taken, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
            RETURN;
        ELSIF v_busy IS NOT NULL THEN
            RETURN QUERY SELECT 'SEAT_LOCKED', NULL::INTEGER, v_busy, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
            RETURN;
        END IF;
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
-- id, reservations (by the update that confirms them), the wallet, then the payer's own ACTIVE
-- queue entries. It takes no `queues` row: the payer's window ends at once (expires_at,
-- ended_at) and the app admits the next user right after the commit (end_queue_entries,
-- coalesced per concert; the sweeper is the backstop). See docs/decisions.md, "A payment marks
-- the window; the admit follows".
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
) LANGUAGE plpgsql
-- Every statement planned once per connection, also those over the arrays asked for: their
-- generic plans assume ten elements, look dearer than a plan for two and were planned again
-- on every call, for a third of the call's time. test/e2e/sql-function-plans.e2e-spec.ts
-- checks that every one of these plans probes an index, on statistics gone stale.
SET plan_cache_mode = force_generic_plan
AS $$
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
    v_seat_ids UUID[];
    v_held_seats INTEGER;
BEGIN
    SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.id IS NULL),
           array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.user_id <> p_user_id),
           array_agg(DISTINCT r.concert_id ORDER BY r.concert_id)
    INTO v_missing, v_foreign, v_concert_ids
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
    FOREACH v_concert_id IN ARRAY v_concert_ids LOOP
        IF lock_concert_sales(v_concert_id) = 'CLOSED' THEN
            SELECT array_agg(a.id ORDER BY a.ord) INTO v_closed
            FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
            JOIN reservations r ON r.id = a.id
            WHERE r.concert_id = v_concert_id;
            RETURN QUERY SELECT 'SALES_CLOSED', v_closed, NULL::INTEGER, NULL::INTEGER, NULL::UUID, NULL::INTEGER, NULL::TIMESTAMPTZ, NULL::UUID[];
            RETURN;
        END IF;
    END LOOP;

    -- A reservation changes state only under its seat's lock (holds, cancels, the sweeper, a
    -- close, payments), so once the seats are locked a fresh read of the reservations is their
    -- latest state and stays so: they need no lock of their own (a row lock writes WAL and
    -- dirties the page), and the clock read here is current for both.
    SELECT array_agg(l.id), count(*) FILTER (WHERE l.status = 'HELD') INTO v_seat_ids, v_held_seats
    FROM (SELECT s.id, s.status FROM seats s
          WHERE s.id IN (SELECT r.seat_id FROM reservations r WHERE r.id = ANY(p_reservation_ids))
          ORDER BY s.id FOR UPDATE) l;
    v_now := clock_timestamp();

    SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.status = 'CONFIRMED'),
           array_agg(a.id ORDER BY a.ord) FILTER (WHERE r.status <> 'PENDING' OR r.expires_at <= v_now),
           sum(r.price)::INTEGER
    INTO v_paid, v_lapsed, v_total
    FROM unnest(p_reservation_ids) WITH ORDINALITY AS a(id, ord)
    JOIN reservations r ON r.id = a.id;
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

    -- The writes in one statement. clock_timestamp(): ledger entries are written under the
    -- wallet lock, so their times follow the order in which the balance changed.
    -- Reservations and seats by their ids alone, their states having been read under their
    -- locks: with a condition on the state, the plans followed the statistics, and when those
    -- were gathered while little was held they walked every live reservation and every HELD
    -- seat (or the whole table) on each payment.
    -- Paying ends the payer's window in each concert at once (every gate reads expires_at); the
    -- place goes to the next user when the entry is ended under the queue row's lock.
    WITH payment AS (
        INSERT INTO payments (user_id, total_amount, created_at)
        VALUES (p_user_id, v_total, clock_timestamp())
        RETURNING payments.id, payments.created_at
    ), ledger AS (
        INSERT INTO point_ledger (user_id, type, amount, balance_after, payment_id, created_at)
        SELECT p_user_id, 'PAYMENT', -v_total, v_balance, payment.id, clock_timestamp() FROM payment
        WHERE v_total > 0
    ), confirmed AS (
        UPDATE reservations r SET status = 'CONFIRMED', payment_id = (SELECT payment.id FROM payment),
                                  updated_at = clock_timestamp()
        WHERE r.id = ANY(p_reservation_ids)
        RETURNING 1
    ), sold AS (
        UPDATE seats s SET status = 'SOLD', held_until = NULL
        WHERE s.id = ANY(v_seat_ids)
        RETURNING 1
    ), window_ended AS (
        UPDATE queue_entries e SET expires_at = LEAST(e.expires_at, clock_timestamp()), ended_at = clock_timestamp()
        WHERE e.concert_id = ANY(v_concert_ids) AND e.user_id = p_user_id AND e.status = 'ACTIVE' AND e.ended_at IS NULL
    )
    SELECT payment.id, payment.created_at, (SELECT count(*) FROM confirmed)::INTEGER, (SELECT count(*) FROM sold)::INTEGER
    INTO v_payment_id, v_created_at, v_confirmed, v_sold
    FROM payment;
    -- All hold under the locks taken above; anything else is a bug, and the payment rolls back.
    IF v_confirmed <> cardinality(p_reservation_ids) OR v_sold <> cardinality(p_reservation_ids)
       OR v_held_seats <> cardinality(p_reservation_ids) THEN
        RAISE EXCEPTION 'payment %: confirmed % and sold % of % reservations (% seats held)',
            v_payment_id, v_confirmed, v_sold, cardinality(p_reservation_ids), v_held_seats;
    END IF;

    RETURN QUERY SELECT 'PAID', NULL::UUID[], v_balance, v_total, v_payment_id, v_total, v_created_at, v_concert_ids;
END;
$$;
