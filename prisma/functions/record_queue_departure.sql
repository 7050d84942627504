-- Records the departures of one statement on queue_entries (entries that were WAITING and are
-- no longer live), whichever path ends them, in one set-based pass: a sales close that ends a
-- long waiting line writes each bucket and stripe once. Locks are taken buckets first, then
-- stripes, each in key order, as a single leave takes its one bucket and then its one stripe,
-- so a mass close and a concurrent leave wait for each other without deadlocking.
CREATE OR REPLACE FUNCTION "record_queue_departure"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    -- Most statements on queue_entries end no waiting entry (an admission, a payment's mark).
    IF NOT EXISTS (SELECT FROM departed_old WHERE status = 'WAITING') THEN
        RETURN NULL;
    END IF;
    INSERT INTO queue_departure_buckets AS b (concert_id, bucket, mask, changed_xid)
    SELECT n.concert_id, n.ticket >> 6, bit_or(1::BIGINT << (n.ticket & 63)::INTEGER), pg_current_xact_id()::TEXT::BIGINT
    FROM departed_new n JOIN departed_old o ON o.id = n.id
    WHERE o.status = 'WAITING' AND n.status NOT IN ('WAITING', 'ACTIVE')
    GROUP BY n.concert_id, n.ticket >> 6
    ORDER BY n.concert_id, n.ticket >> 6
    ON CONFLICT (concert_id, bucket)
    DO UPDATE SET mask = b.mask | EXCLUDED.mask, changed_xid = EXCLUDED.changed_xid;
    INSERT INTO queue_departure_stripes AS s (concert_id, stripe, departed)
    SELECT n.concert_id, ((n.ticket >> 6) & 15)::SMALLINT, count(*)
    FROM departed_new n JOIN departed_old o ON o.id = n.id
    WHERE o.status = 'WAITING' AND n.status NOT IN ('WAITING', 'ACTIVE')
    GROUP BY n.concert_id, ((n.ticket >> 6) & 15)::SMALLINT
    ORDER BY n.concert_id, ((n.ticket >> 6) & 15)::SMALLINT
    ON CONFLICT (concert_id, stripe) DO UPDATE SET departed = s.departed + EXCLUDED.departed;
    RETURN NULL;
END;
$$;
