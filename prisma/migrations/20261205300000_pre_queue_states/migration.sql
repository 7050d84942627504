-- The pre-queue and the draw (issue 21), part 1: the new enum values, alone in their migration
-- because PostgreSQL cannot use an enum value in the transaction that adds it (the next
-- migration's index predicate and functions do). UPCOMING: before the opening (salesOpenAt),
-- until the draw. PRE_QUEUE: an entry that waits for the draw, with no ticket yet.
ALTER TYPE "SalesState" ADD VALUE 'UPCOMING' BEFORE 'ON_SALE';
ALTER TYPE "QueueEntryStatus" ADD VALUE 'PRE_QUEUE' BEFORE 'WAITING';
