-- Written by `npm run db:functions` from prisma/functions/: redefines hold_seats, lock_user_holds, take_hold_turns.
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
-- Locks: the concert's sales lock (shared, lock_concert_sales), the user's hold lock
-- (lock_user_holds), then the seats in id order without waiting (none when one is taken), then
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
    -- first. A refusal changes nothing. See docs/decisions.md, "Holds and claims commit
    -- asynchronously".
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
    PERFORM lock_user_holds(p_concert_id, p_user_id);
    v_now := clock_timestamp();
    -- The user's reservations in the concert, their states judged in the count: with a state in
    -- the WHERE clause, a plan made on a quiet season's statistics (every reservation paid, so
    -- no hold to read) chose reservations_lapsing_idx and walked every live hold of every user
    -- on each hold of a rush (issue 17, README "Ninth step (database)"). By user and concert, the
    -- user's index is the only one that fits, and a user has few reservations.
    SELECT (count(*) FILTER (WHERE r.status = 'PENDING' AND r.expires_at > v_now))::INTEGER INTO v_held
    FROM reservations r
    WHERE r.user_id = p_user_id AND r.concert_id = p_concert_id;
    IF v_held + cardinality(p_seat_ids) > p_max_seats THEN
        RETURN QUERY SELECT 'HOLD_LIMIT_EXCEEDED', v_held, NULL::UUID[], NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    -- The seats asked, read once before any lock: a seat that is no seat of this concert or is
    -- taken, the usual refusal in a rush, is answered here, after one probe a seat, without
    -- locking a row, writing anything or committing a transaction. Until 2026-12-05 the lock
    -- statement below judged this in a correlated count and a second pass then told why: two
    -- passes and two more statements a refusal (issue 17, "Eighth step (hold)" in the README).
    -- Bookable: AVAILABLE, or HELD by a hold whose time is up (the sweeper may not have run yet).
    SELECT array_agg(a.id ORDER BY a.ord) FILTER (WHERE s.id IS NULL OR s.concert_id <> p_concert_id),
           array_agg(a.id ORDER BY a.ord) FILTER (
               WHERE NOT (s.status = 'AVAILABLE' OR (s.status = 'HELD' AND s.held_until <= v_now)))
    INTO v_missing, v_taken
    FROM unnest(p_seat_ids) WITH ORDINALITY AS a(id, ord)
    LEFT JOIN seats s ON s.id = a.id;
    IF v_missing IS NOT NULL THEN
        RETURN QUERY SELECT 'SEAT_NOT_FOUND', NULL::INTEGER, v_missing, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    ELSIF v_taken IS NOT NULL THEN
        RETURN QUERY SELECT 'SEAT_ALREADY_RESERVED', NULL::INTEGER, v_taken, NULL::UUID, NULL::UUID, NULL::TIMESTAMPTZ;
        RETURN;
    END IF;

    -- The seats, locked only when every one asked is still of this concert and bookable in this
    -- statement's snapshot (the condition on the scan's side is judged once, before any row): a
    -- seat taken since the read above then locks no row either. A seat someone else has locked
    -- is being held or paid: waiting for it would mostly end in a refusal anyway, only later,
    -- and would let lock queues build up on popular seats. Rows are judged again as locked
    -- (their latest versions), so a seat held since the snapshot is left out.
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
    -- Otherwise (rarely: since the read above) a seat is no seat of this concert, or taken, or
    -- locked by another (or asked twice): the three refusals about seats read afresh in one
    -- pass, each listing its seats in the order asked, and a seat locked by another only when
    -- every seat is otherwise bookable.
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

-- A user's hold lock in one concert (advisory, namespace 7001, to the end of the transaction):
-- two parallel holds by one user take turns with it, so they cannot both pass the hold cap.
-- Taken by hold_seats, and ahead of a batch's holds by take_hold_turns.
CREATE OR REPLACE FUNCTION "lock_user_holds"(p_concert_id UUID, p_user_id UUID) RETURNS VOID
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(7001, hashtext(p_user_id::TEXT || ':' || p_concert_id::TEXT));
$$;

-- The locks a batch of one concert's holds waits for, taken before its first hold, in the order
-- a hold alone takes them: the concert's sales lock (shared), then, user by user in user id order,
-- the claim of an unclaimed window (queue_window_open) and, with a window open, the user's hold
-- lock (lock_user_holds); none of them when the concert is unknown, paused or closed, where no hold
-- gets that far. Each hold of the batch (hold_seats) then takes them again at once, so the batch
-- can run its holds in arrival order while two replicas' batches, or a batch and a batch of seat
-- pages (claims in user id order), still wait for one another in one order and cannot deadlock.
-- Answers the concert id, for the holds' calls to depend on.
CREATE OR REPLACE FUNCTION "take_hold_turns"(p_concert_id UUID, p_user_ids UUID[]) RETURNS UUID
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_user_id UUID;
BEGIN
    IF coalesce(lock_concert_sales(p_concert_id) IN ('PAUSED', 'CLOSED'), true) THEN
        RETURN p_concert_id;
    END IF;
    FOR v_user_id IN SELECT DISTINCT u.id FROM unnest(p_user_ids) AS u(id) ORDER BY u.id LOOP
        IF queue_window_open(p_concert_id, v_user_id) THEN
            PERFORM lock_user_holds(p_concert_id, v_user_id);
        END IF;
    END LOOP;
    RETURN p_concert_id;
END;
$$;
