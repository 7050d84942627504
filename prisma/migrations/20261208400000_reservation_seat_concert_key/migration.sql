-- A reservation's concert is its seat's concert, kept by one foreign key on (seat_id,
-- concert_id) to the seat instead of one to the seat and one to the concert. A hold's insert
-- checked both: the concert's check took a KEY SHARE lock on the concert's one row from every
-- concurrent hold of a rush (a MultiXact on one hot row, a new one per hold), the seat's on a
-- row the hold has already locked. The one check left locks only the seat row, already locked.
-- Deleting a concert still deletes its reservations: concert -> seats -> reservations cascade.
CREATE UNIQUE INDEX "seats_id_concert_id_key" ON "seats" ("id", "concert_id");
ALTER TABLE "reservations"
    DROP CONSTRAINT "reservations_concert_id_fkey",
    DROP CONSTRAINT "reservations_seat_id_fkey",
    ADD CONSTRAINT "reservations_seat_id_concert_id_fkey" FOREIGN KEY ("seat_id", "concert_id")
        REFERENCES "seats" ("id", "concert_id") ON DELETE CASCADE ON UPDATE CASCADE;
