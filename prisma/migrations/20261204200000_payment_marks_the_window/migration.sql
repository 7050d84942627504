-- The seat rush: a payment no longer takes its concert's `queues` row. Every payment used to end
-- the payer's window and admit the next user under that row's lock, held through the commit's
-- WAL flush, so one hot concert's payments ran one at a time. Now a payment only marks the
-- payer's entry (its window ends at once: expires_at = now, ended_at = the payment's time) and
-- the app admits the next user right after the commit, in a batched, per-concert call of
-- end_queue_entries; the sweeper, which finds every ACTIVE entry past expires_at, is the
-- backstop. The entry stays ACTIVE until then, so active_count stays equal to the ACTIVE rows
-- and "never more than N ACTIVE" needs no new rule. See docs/decisions.md, "A payment marks
-- the window; the admit follows".

-- Changed from 20261128010000: an ACTIVE entry a payment marked (ended_at set) ends as
-- COMPLETED at the payment's time, whoever ends it (the admit after the payment, the sweeper,
-- or the user leaving in between). Nothing else changes.
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
    SELECT q.active_count, c.queue_capacity, c.queue_window_seconds, c.sales_state = 'ON_SALE'
    INTO v_active, v_capacity, v_window_seconds, v_on_sale
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

-- Changed from 20261128010000: (1) no end_queue_entries call, so no `queues` row lock: the
-- payer's ACTIVE entry in each concert is marked instead (expires_at = now, ended_at), and the
-- answer names the concerts (`concert_ids`, new column) for the admit that follows; (2) seven
-- statements instead of about sixteen: the two ownership checks in one pass, the reservations
-- locked and judged in one, payment and ledger row in one, reservations and seats in one.
-- Rules, their order and the lock order (seats, reservations, wallet, then the payer's own
-- queue entries) are unchanged.
DROP FUNCTION "pay_reservations"(UUID, UUID[]);
CREATE FUNCTION "pay_reservations"(
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
