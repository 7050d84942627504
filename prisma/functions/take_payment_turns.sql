-- The locks a batch of payments takes before its first payment: every concert's sales lock
-- (shared) of the batch's reservations, in concert id order, as one payment alone takes its own.
-- Each payment (pay_reservations) then takes its concerts' sales locks again at once, so no later
-- shared request of the batch queues behind a close or pause waiting for an exclusive one. The
-- payments run in user id order (the caller's): every row a payment waits for is its payer's
-- (seats of the payer's reservations, the reservations, the wallet, the entries), so two batches
-- take them in one order. Answers the users, for the payments' calls to depend on.
CREATE OR REPLACE FUNCTION "take_payment_turns"(p_user_ids UUID[], p_reservation_ids UUID[]) RETURNS UUID[]
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_concert_id UUID;
BEGIN
    FOR v_concert_id IN SELECT DISTINCT r.concert_id FROM reservations r
                        WHERE r.id = ANY(p_reservation_ids) ORDER BY r.concert_id LOOP
        PERFORM lock_concert_sales(v_concert_id);
    END LOOP;
    RETURN p_user_ids;
END;
$$;
