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

    -- A reservation changes state only under its seat's lock, so once the seats are locked
    -- the reservations lock without waiting, and the clock read here is current for both.
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
