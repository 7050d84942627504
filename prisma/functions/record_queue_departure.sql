-- Records a departure in the statement that ends the entry, whichever path ends it.
CREATE OR REPLACE FUNCTION "record_queue_departure"() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO queue_departure_buckets AS b (concert_id, bucket, mask, changed_xid)
    VALUES (NEW.concert_id, NEW.ticket >> 6, 1::BIGINT << (NEW.ticket & 63)::INTEGER, pg_current_xact_id()::TEXT::BIGINT)
    ON CONFLICT (concert_id, bucket)
    DO UPDATE SET mask = b.mask | EXCLUDED.mask, changed_xid = EXCLUDED.changed_xid;
    INSERT INTO queue_departure_stripes AS s (concert_id, stripe, departed)
    VALUES (NEW.concert_id, ((NEW.ticket >> 6) & 15)::SMALLINT, 1)
    ON CONFLICT (concert_id, stripe) DO UPDATE SET departed = s.departed + 1;
    RETURN NULL;
END;
$$;
