-- The sales state as of now by the database clock: past its close time (sales_close_at, else
-- starts_at) a concert is CLOSED whatever is stored, until the sweeper stores it.
CREATE OR REPLACE FUNCTION "sales_state_now"(c "concerts") RETURNS "SalesState"
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN coalesce(c.sales_close_at, c.starts_at) <= clock_timestamp() THEN 'CLOSED'::"SalesState"
                ELSE c.sales_state END
$$;
