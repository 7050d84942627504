-- Concerts closed before sales states were enforced kept their open windows, waiting places and
-- unpaid holds. Close them as a close does now. A migration of its own: the enum values this
-- writes must be committed before they can be used (20261204400000_sales_states adds them).
SELECT close_concert_sales(c.id)
FROM concerts c
WHERE c.sales_state = 'CLOSED'
  AND (EXISTS (SELECT 1 FROM queue_entries e WHERE e.concert_id = c.id AND e.status IN ('WAITING', 'ACTIVE'))
       OR EXISTS (SELECT 1 FROM reservations r WHERE r.concert_id = c.id AND r.status = 'PENDING'));
