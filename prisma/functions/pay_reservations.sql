-- Pays the user's held reservations, all or none. Answers one row: 'PAID' with the payment,
-- or the first rule broken, checked in this order; a refusal changes nothing:
--   RESERVATION_NOT_FOUND (`reservation_ids`); RESERVATION_FORBIDDEN (another user's; `reservation_ids`);
--   RESERVATION_ALREADY_PAID (`reservation_ids`); RESERVATION_EXPIRED (lapsed by the database
--   clock, expired or cancelled; `reservation_ids`); INSUFFICIENT_POINTS (`balance`, `required`).
-- Locks in the order every path uses: seats by id, reservations by id, the wallet, then each
-- concert's queue row by concert id (ending the user's window and admitting the next user).
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
