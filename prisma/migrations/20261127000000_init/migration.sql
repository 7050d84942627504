-- Sail: initial schema. Constraints that Prisma cannot express (partial unique
-- indexes, CHECKs) are the last line of defence for the invariants.

CREATE TYPE "Role" AS ENUM ('USER', 'ADMIN');
CREATE TYPE "SalesState" AS ENUM ('ON_SALE', 'PAUSED', 'CLOSED');
CREATE TYPE "SeatStatus" AS ENUM ('AVAILABLE', 'HELD', 'SOLD');
CREATE TYPE "QueueEntryStatus" AS ENUM ('WAITING', 'ACTIVE', 'EXPIRED', 'LEFT', 'COMPLETED');
CREATE TYPE "ReservationStatus" AS ENUM ('PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED');
CREATE TYPE "PointEntryType" AS ENUM ('CHARGE', 'PAYMENT', 'REFUND');
CREATE TYPE "PaymentStatus" AS ENUM ('COMPLETED');

CREATE TABLE "users" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "email" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "role" "Role" NOT NULL DEFAULT 'USER',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

CREATE TABLE "refresh_tokens" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "family_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "rotated_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "refresh_tokens_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens"("token_hash");
CREATE INDEX "refresh_tokens_family_id_idx" ON "refresh_tokens"("family_id");
CREATE INDEX "refresh_tokens_user_id_idx" ON "refresh_tokens"("user_id");

CREATE TABLE "concerts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "venue" TEXT NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "sales_state" "SalesState" NOT NULL DEFAULT 'ON_SALE',
    "queue_capacity" INTEGER NOT NULL,
    "queue_window_seconds" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "concerts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "concerts_queue_capacity_check" CHECK ("queue_capacity" >= 1),
    CONSTRAINT "concerts_queue_window_seconds_check" CHECK ("queue_window_seconds" >= 1)
);
CREATE INDEX "concerts_sales_state_starts_at_idx" ON "concerts"("sales_state", "starts_at");

CREATE TABLE "seats" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "concert_id" UUID NOT NULL,
    "number" TEXT NOT NULL,
    "section" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "price" INTEGER NOT NULL,
    "status" "SeatStatus" NOT NULL DEFAULT 'AVAILABLE',
    "held_until" TIMESTAMPTZ(3),
    CONSTRAINT "seats_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "seats_concert_id_fkey" FOREIGN KEY ("concert_id") REFERENCES "concerts"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "seats_price_check" CHECK ("price" >= 0),
    CONSTRAINT "seats_held_until_check" CHECK (("status" = 'HELD') = ("held_until" IS NOT NULL))
);
CREATE UNIQUE INDEX "seats_concert_id_number_key" ON "seats"("concert_id", "number");
CREATE INDEX "seats_concert_id_position_idx" ON "seats"("concert_id", "position");
-- The sweeper's scan: holds ordered by expiry.
CREATE INDEX "seats_held_until_idx" ON "seats"("held_until") WHERE "status" = 'HELD';

CREATE TABLE "queues" (
    "concert_id" UUID NOT NULL,
    "last_ticket" BIGINT NOT NULL DEFAULT 0,
    "activated_count" BIGINT NOT NULL DEFAULT 0,
    "active_count" INTEGER NOT NULL DEFAULT 0,
    "left_waiting_count" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "queues_pkey" PRIMARY KEY ("concert_id"),
    CONSTRAINT "queues_concert_id_fkey" FOREIGN KEY ("concert_id") REFERENCES "concerts"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "queues_active_count_check" CHECK ("active_count" >= 0)
);

CREATE TABLE "queue_entries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "concert_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "ticket" BIGINT NOT NULL,
    "status" "QueueEntryStatus" NOT NULL DEFAULT 'WAITING',
    "entered_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMPTZ(3),
    "expires_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),
    CONSTRAINT "queue_entries_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "queue_entries_concert_id_fkey" FOREIGN KEY ("concert_id") REFERENCES "concerts"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "queue_entries_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "queue_entries_active_window_check" CHECK ("status" <> 'ACTIVE' OR "expires_at" IS NOT NULL)
);
CREATE UNIQUE INDEX "queue_entries_concert_id_ticket_key" ON "queue_entries"("concert_id", "ticket");
CREATE INDEX "queue_entries_user_id_idx" ON "queue_entries"("user_id");
-- One live entry per user and concert.
CREATE UNIQUE INDEX "queue_entries_live_user_key" ON "queue_entries"("concert_id", "user_id") WHERE "status" IN ('WAITING', 'ACTIVE');
-- Admission order and the active set.
CREATE INDEX "queue_entries_waiting_idx" ON "queue_entries"("concert_id", "ticket") WHERE "status" = 'WAITING';
CREATE INDEX "queue_entries_active_idx" ON "queue_entries"("concert_id", "ticket") WHERE "status" = 'ACTIVE';
-- The sweeper's scan of windows by expiry.
CREATE INDEX "queue_entries_expires_at_idx" ON "queue_entries"("expires_at") WHERE "status" = 'ACTIVE';
-- Users who left while still waiting: the only holes ahead of a waiting ticket.
CREATE INDEX "queue_entries_left_waiting_idx" ON "queue_entries"("concert_id", "ticket") WHERE "status" = 'LEFT' AND "activated_at" IS NULL;
-- Measured outflow for the estimated wait.
CREATE INDEX "queue_entries_outflow_idx" ON "queue_entries"("concert_id", "ended_at") WHERE "activated_at" IS NOT NULL;

CREATE TABLE "point_wallets" (
    "user_id" UUID NOT NULL,
    "balance" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "point_wallets_pkey" PRIMARY KEY ("user_id"),
    CONSTRAINT "point_wallets_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "point_wallets_balance_check" CHECK ("balance" >= 0)
);

CREATE TABLE "payments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "total_amount" INTEGER NOT NULL,
    "status" "PaymentStatus" NOT NULL DEFAULT 'COMPLETED',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "payments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "payments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "payments_total_amount_check" CHECK ("total_amount" >= 0)
);
CREATE INDEX "payments_user_id_idx" ON "payments"("user_id");

CREATE TABLE "point_ledger" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "type" "PointEntryType" NOT NULL,
    "amount" INTEGER NOT NULL,
    "balance_after" INTEGER NOT NULL,
    "payment_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "point_ledger_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "point_ledger_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "point_ledger_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "point_ledger_balance_after_check" CHECK ("balance_after" >= 0),
    -- CHARGE and REFUND add, PAYMENT subtracts: the sign is part of the row.
    CONSTRAINT "point_ledger_amount_sign_check" CHECK (("type" = 'PAYMENT' AND "amount" < 0) OR ("type" <> 'PAYMENT' AND "amount" > 0))
);
CREATE INDEX "point_ledger_user_id_created_at_idx" ON "point_ledger"("user_id", "created_at");

CREATE TABLE "reservations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "concert_id" UUID NOT NULL,
    "seat_id" UUID NOT NULL,
    "price" INTEGER NOT NULL,
    "status" "ReservationStatus" NOT NULL DEFAULT 'PENDING',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "payment_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "reservations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "reservations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "reservations_concert_id_fkey" FOREIGN KEY ("concert_id") REFERENCES "concerts"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "reservations_seat_id_fkey" FOREIGN KEY ("seat_id") REFERENCES "seats"("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "reservations_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "reservations_confirmed_paid_check" CHECK (("status" = 'CONFIRMED') = ("payment_id" IS NOT NULL))
);
CREATE INDEX "reservations_user_id_created_at_idx" ON "reservations"("user_id", "created_at");
CREATE INDEX "reservations_seat_id_idx" ON "reservations"("seat_id");
-- Never sold twice: one live (PENDING or CONFIRMED) reservation per seat, whatever the code does.
CREATE UNIQUE INDEX "reservations_live_seat_key" ON "reservations"("seat_id") WHERE "status" IN ('PENDING', 'CONFIRMED');

CREATE TABLE "idempotency_keys" (
    "user_id" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),
    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("user_id", "scope", "key"),
    CONSTRAINT "idempotency_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");
