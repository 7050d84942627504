-- The sales state as of now by the database clock: past its close time (sales_close_at, else
-- starts_at) a concert is CLOSED whatever is stored, until the sweeper stores it. A concert
-- with an opening (sales_open_at) is UPCOMING until the draw opens its sales (sales_opened_at,
-- see open_sales_for_draw): tickets 1..draw_tickets are then the pre-queue's, so no ticket is
-- given before the drawn ones.
CREATE OR REPLACE FUNCTION "sales_state_now"(c "concerts") RETURNS "SalesState"
LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN coalesce(c.sales_close_at, c.starts_at) <= clock_timestamp() THEN 'CLOSED'::"SalesState"
                WHEN c.sales_open_at IS NOT NULL AND c.sales_opened_at IS NULL AND c.sales_state <> 'CLOSED'
                    THEN 'UPCOMING'::"SalesState"
                ELSE c.sales_state END
$$;
