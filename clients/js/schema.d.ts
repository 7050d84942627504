// Generated from openapi.json by `npm run client:generate`. Do not edit.

export interface paths {
    "/admin/concerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Every concert in any sales state, latest start first (ADMIN)
         * @description The operator console's list: each concert's settings, sales state as of now and seat count.
         */
        get: operations["adminListConcerts"];
        put?: never;
        /**
         * Create a concert with its seats and queue (ADMIN)
         * @description Give exactly one of `seats` (an explicit list) or `layout` (rows generated as A1…An). The body may be up to 8 MiB here.
         */
        post: operations["adminCreateConcert"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/admin/concerts/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A concert with seat counts by state, revenue and queue counts (ADMIN)
         * @description The live figures of an on-sale, the pre-queue size before the opening included: poll it for a dashboard.
         */
        get: operations["adminGetConcert"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Change sales state and queue settings (ADMIN)
         * @description Give at least one field. Queue admission uses the new settings from its next admission on. PAUSED stops entries, admissions and new holds (holds made can be paid). CLOSED is final: it releases every unpaid hold and ends every queue place in the same transaction; a CLOSED concert (also one whose salesCloseAt passed) answers 409 SALES_CLOSED to any other salesState or salesCloseAt. salesOpenAt (an opening with a pre-queue) can be set only before the opening and before anyone has queued.
         */
        patch: operations["adminChangeConcert"];
        trace?: never;
    };
    "/auth/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Sign in with email and password
         * @description Failed sign-ins are limited per account (LOGIN_FAILURES_PER_EMAIL_PER_MINUTE) and per client address (LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE); successful ones never count. Over a limit: 429 with Retry-After.
         */
        post: operations["login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * End a session
         * @description Without a body, ends the access token's own session; with `{refreshToken}`, the session of that token. Its refresh tokens stop working at once; access tokens already issued work until they expire (JWT_ACCESS_TTL, 15 minutes).
         */
        post: operations["logout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/me": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The signed-in account
         * @description Who the access token belongs to, and the role it was issued with.
         */
        get: operations["getMe"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Exchange a refresh token for a new token pair
         * @description Send the refresh token (not the access token) as `Authorization: Bearer <refreshToken>`. The old refresh token is replaced: presented again within REFRESH_REUSE_GRACE_SECONDS (30 s) it gets the same new pair, so parallel refreshes all succeed; later it revokes the whole session (REFRESH_TOKEN_REUSED). The new access token carries the role as it is now. Limited per session (REFRESHES_PER_SESSION_PER_MINUTE).
         */
        post: operations["refreshTokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/auth/register": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create an account and sign in
         * @description Every account starts with the USER role; operators grant ADMIN with `npm run admin -- grant <email>`. Registrations are limited per client address (REGISTRATIONS_PER_ADDRESS_PER_MINUTE).
         */
        post: operations["register"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/concerts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Concerts on sale, each with the caller's place in its queue
         * @description Reading this never enters a queue: a concert you are not queued for has no place.
         */
        get: operations["listConcerts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/concerts/{concertId}/draw": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The pre-queue's draw: commitment, seed and drawn order (public)
         * @description From the start: drawCommitment = sha256(seed). After the draw at salesOpenAt: drawSeed and the entry ids in drawn order, paginated; the order is ascending sha256(seed bytes ‖ entry id bytes), so anyone can recompute it. 404 DRAW_NOT_FOUND for a concert whose sales opened at once.
         */
        get: operations["getDraw"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/concerts/{concertId}/queue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's place in the queue, without entering
         * @description Poll this while WAITING, after retryAfterMs (about a second near the front). The first answer that shows ACTIVE claims the place and starts the window; a place not claimed within the claim time lapses (NO_SHOW). 410 QUEUE_ENTRY_ENDED with details.reason once the place ended (within the last hour), 404 when there is none.
         */
        get: operations["getQueueState"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/concerts/{concertId}/queue-entry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Enter the queue of a concert (the original route)
         * @description Takes a place at the back of the queue, or returns the place already held (200). WAITING: poll GET /concerts/{concertId}/queue after retryAfterMs. ACTIVE: list seats, hold and pay before expiresAt. Before salesOpenAt (from preQueueOpensAt): PRE_QUEUE with no position; places are drawn at the opening (GET /concerts/{concertId}/draw), and retryAfterMs brings you back shortly after it.
         */
        get: operations["enterQueue"];
        put?: never;
        /**
         * Enter the queue of a concert
         * @description Takes a place at the back of the queue, or returns the place already held (200). WAITING: poll GET /concerts/{concertId}/queue after retryAfterMs. ACTIVE: list seats, hold and pay before expiresAt. Before salesOpenAt (from preQueueOpensAt): PRE_QUEUE with no position; places are drawn at the opening (GET /concerts/{concertId}/draw), and retryAfterMs brings you back shortly after it.
         */
        post: operations["enterQueueByPost"];
        /**
         * Leave the queue
         * @description An active window ends and goes to the next user. Idempotent.
         */
        delete: operations["leaveQueue"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: the process answers (no database check)
         * @description For a process supervisor: restart the process when this fails.
         */
        get: operations["getHealth"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness: the database answers; 503 otherwise
         * @description For a load balancer: send traffic only while this answers 200.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/payment": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Pay held reservations with points, all or nothing
         * @description Confirms the reservations, sells their seats, debits their total and ends the queue window (the next user is admitted). Send an Idempotency-Key to retry safely. Checked in this order: unknown 404, another user's 403, sales closed 409, already paid 409, lapsed 410, then the balance 402. A PAUSED concert's holds can still be paid.
         */
        post: operations["pay"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/payment/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One of the caller's payments, with its reservations
         * @description Another user's payment answers 404 like an unknown one.
         */
        get: operations["getPayment"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/points": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's balance
         * @description In points; a new account has 0.
         */
        get: operations["getPoints"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/points/charge": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        /**
         * Add points to the balance
         * @description Send an Idempotency-Key to retry safely: a repeat with the same key and body charges once.
         */
        patch: operations["chargePoints"];
        trace?: never;
    };
    "/points/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's charges and payments, newest first
         * @description Each entry with its amount and the balance after it, paginated.
         */
        get: operations["getPointsHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/reservation": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller's reservations, newest first
         * @description Paginated; `?status=` filters. A PENDING one shows expiresAt (pay before it), a CONFIRMED one paidAt.
         */
        get: operations["listReservations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/reservation/{concertId}/seats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A concert's seat map (needs an ACTIVE queue window)
         * @description Seats in display order, paginated; `?status=AVAILABLE` (or HELD, SOLD) lists only those. `mine` marks the seats you hold or bought.
         */
        get: operations["getSeatMap"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/reservation/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Cancel a PENDING hold and free its seat
         * @description A paid, lapsed or already cancelled reservation answers 409 RESERVATION_NOT_PENDING.
         */
        delete: operations["cancelReservation"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/reservation/available-dates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Future concerts on sale that still have a free seat
         * @description Soonest first, each with its date (YYYY-MM-DD in UTC) and id for the queue and the seat map.
         */
        get: operations["listAvailableDates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/reservation/seat": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Hold seats until expiresAt (needs an ACTIVE queue window)
         * @description All the seats or none. At most MAX_SEATS_PER_RESERVATION (4) live holds per user and concert. Pay with POST /payment before expiresAt; an unpaid hold lapses and its seat is free again. Refused while sales are PAUSED or CLOSED (409), whatever the window, and before they open (409 SALES_NOT_OPEN).
         */
        post: operations["holdSeats"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AccountResponse: {
            /**
             * Format: email
             * @example user@example.com
             */
            email: string;
            /** @example USER */
            role: components["schemas"]["Role"];
            /**
             * Format: uuid
             * @example 3f1c9a52-7d4e-4b8a-9c61-2e5f0d8b7a14
             */
            userId: string;
        };
        AvailableDateResponse: {
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            concertId: string;
            /**
             * Format: date
             * @description YYYY-MM-DD of startsAt in UTC
             * @example 2024-07-15
             */
            date: string;
            /** @example Summer Rock Fest */
            name: string;
            /**
             * Format: date-time
             * @example 2024-07-15T10:00:00.000Z
             */
            startsAt: string;
            /** @example Olympic Hall */
            venue: string;
        };
        AvailableDatesResponse: {
            availableDates: components["schemas"]["AvailableDateResponse"][];
        };
        ChangeConcertSettingsDto: {
            /**
             * @description How long before salesOpenAt the pre-queue takes entries; default PRE_QUEUE_OPENS_SECONDS
             * @example 1800
             */
            preQueueOpensSeconds?: number;
            /** @example 10 */
            queueCapacity?: number;
            /**
             * @description How long an admitted user has to show up; applies to the next admissions
             * @example 30
             */
            queueClaimSeconds?: number;
            /** @example 300 */
            queueWindowSeconds?: number;
            /**
             * Format: date-time
             * @description When sales close by themselves: in the future and not after startsAt, with a time zone offset
             * @example 2030-07-15T12:00:00+09:00
             */
            salesCloseAt?: string;
            /**
             * Format: date-time
             * @description When sales open: in the future, before the sales close, with a time zone offset. Until then the concert is UPCOMING and entries from preQueueOpensSeconds before go to a pre-queue, drawn in a random, auditable order at the opening. Only before the opening and before anyone has queued.
             * @example 2030-07-01T10:00:00+09:00
             */
            salesOpenAt?: string;
            /**
             * @description PAUSED: no entry, admission or new hold; holds already made can be paid. CLOSED: final; every unpaid hold is released and every queue place ended at once.
             * @example PAUSED
             */
            salesState?: components["schemas"]["SalesState"];
        };
        ChargePointsDto: {
            /**
             * @description Points to add; at most POINTS_MAX_CHARGE (1000000 by default)
             * @example 10000
             */
            amount: number;
        };
        ChargePointsResponse: {
            /** @example 10000 */
            chargeAmount: number;
            /**
             * @description The balance after the charge
             * @example 15000
             */
            points: number;
        };
        ConcertInfoResponse: {
            /**
             * Format: date
             * @description YYYY-MM-DD of startsAt in UTC
             * @example 2024-07-15
             */
            date: string;
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            id: string;
            /** @example Summer Rock Fest */
            name: string;
            /**
             * Format: date-time
             * @example 2024-07-15T10:00:00.000Z
             */
            startsAt: string;
            /** @example Olympic Hall */
            venue: string;
        };
        ConcertListAdminResponse: {
            concerts: components["schemas"]["ConcertResponse"][];
        };
        ConcertListResponse: {
            queueEntries: components["schemas"]["ConcertQueueEntryResponse"][];
        };
        ConcertQueueEntryResponse: {
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            concertId: string;
            /**
             * Format: date
             * @description YYYY-MM-DD of startsAt in UTC
             * @example 2024-07-15
             */
            date: string;
            /**
             * @description null while active
             * @example 10 minutes
             */
            estimatedWaitTime: string | null;
            /** @example Summer Rock Fest */
            name: string;
            /**
             * @description The caller's place; null when not in this concert's queue, or in its pre-queue
             * @example 42
             */
            queuePosition: number | null;
            /**
             * Format: date-time
             * @description When sales close by themselves (salesCloseAt, else startsAt): no entry, hold or payment after it
             * @example 2024-07-15T10:00:00.000Z
             */
            salesCloseAt: string;
            /**
             * Format: date-time
             * @description When sales open (UPCOMING until then); null: they opened at once
             * @example null
             */
            salesOpenAt: string | null;
            /** @example ON_SALE */
            salesState: components["schemas"]["SalesState"];
            /**
             * Format: date-time
             * @example 2024-07-15T10:00:00.000Z
             */
            startsAt: string;
            /**
             * @example WAITING
             * @enum {string|null}
             */
            status: "PRE_QUEUE" | "ACTIVE" | "WAITING" | null;
            /** @example Olympic Hall */
            venue: string;
        };
        ConcertResponse: {
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            id: string;
            /** @example Summer Rock Fest */
            name: string;
            /**
             * Format: date-time
             * @description From when entries go to the pre-queue (salesOpenAt − preQueueOpensSeconds); null without salesOpenAt
             * @example null
             */
            preQueueOpensAt: string | null;
            /**
             * @description How long before salesOpenAt the pre-queue opens
             * @example 1800
             */
            preQueueOpensSeconds: number;
            /**
             * @description Users with an active window at once
             * @example 5
             */
            queueCapacity: number;
            /**
             * @description How long an admitted user has to show up before the place goes to the next
             * @example 30
             */
            queueClaimSeconds: number;
            /**
             * @description Length of an active window
             * @example 300
             */
            queueWindowSeconds: number;
            /**
             * Format: date-time
             * @description When sales close by themselves: the salesCloseAt given, else startsAt
             * @example 2024-07-15T10:00:00.000Z
             */
            salesCloseAt: string;
            /**
             * Format: date-time
             * @description When sales open, after the pre-queue and its draw; null: they opened at once
             * @example null
             */
            salesOpenAt: string | null;
            /**
             * @description As of now: CLOSED once salesCloseAt has passed
             * @example ON_SALE
             */
            salesState: components["schemas"]["SalesState"];
            /** @example 50 */
            seatCount: number;
            /**
             * Format: date-time
             * @example 2024-07-15T10:00:00.000Z
             */
            startsAt: string;
            /** @example Olympic Hall */
            venue: string;
        };
        ConcertStatsResponse: {
            /**
             * @description Users whose window is open
             * @example 5
             */
            activeUsers: number;
            /**
             * @description Windows opened in the last 60 seconds
             * @example 12
             */
            admittedLastMinute: number;
            /**
             * Format: date-time
             * @description When the pre-queue was drawn; null before (or without a salesOpenAt)
             * @example null
             */
            drawnAt: string | null;
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            id: string;
            /** @example Summer Rock Fest */
            name: string;
            /**
             * @description Users in the pre-queue, waiting for the draw
             * @example 0
             */
            preQueueLength: number;
            /**
             * Format: date-time
             * @description From when entries go to the pre-queue (salesOpenAt − preQueueOpensSeconds); null without salesOpenAt
             * @example null
             */
            preQueueOpensAt: string | null;
            /**
             * @description How long before salesOpenAt the pre-queue opens
             * @example 1800
             */
            preQueueOpensSeconds: number;
            /**
             * @description Users with an active window at once
             * @example 5
             */
            queueCapacity: number;
            /**
             * @description How long an admitted user has to show up before the place goes to the next
             * @example 30
             */
            queueClaimSeconds: number;
            /**
             * @description Users still waiting
             * @example 37
             */
            queueLength: number;
            /**
             * @description Length of an active window
             * @example 300
             */
            queueWindowSeconds: number;
            /**
             * @description Points paid for the sold seats
             * @example 400000
             */
            revenue: number;
            /**
             * Format: date-time
             * @description When sales close by themselves: the salesCloseAt given, else startsAt
             * @example 2024-07-15T10:00:00.000Z
             */
            salesCloseAt: string;
            /**
             * Format: date-time
             * @description When sales open, after the pre-queue and its draw; null: they opened at once
             * @example null
             */
            salesOpenAt: string | null;
            /**
             * @description As of now: CLOSED once salesCloseAt has passed
             * @example ON_SALE
             */
            salesState: components["schemas"]["SalesState"];
            /** @example 50 */
            seatCount: number;
            seatCounts: components["schemas"]["SeatCountsResponse"];
            /**
             * Format: date-time
             * @example 2024-07-15T10:00:00.000Z
             */
            startsAt: string;
            /** @example Olympic Hall */
            venue: string;
        };
        CreateConcertDto: {
            /**
             * @description Rows to generate; give this or `seats`
             * @example {
             *       "rows": [
             *         {
             *           "label": "A",
             *           "seats": 10,
             *           "price": 100000
             *         },
             *         {
             *           "label": "B",
             *           "seats": 10,
             *           "price": 50000
             *         }
             *       ]
             *     }
             */
            layout?: components["schemas"]["SeatLayoutDto"];
            /** @example Summer Rock Fest */
            name: string;
            /**
             * @description How long before salesOpenAt the pre-queue takes entries; default PRE_QUEUE_OPENS_SECONDS
             * @example 1800
             */
            preQueueOpensSeconds?: number;
            /**
             * @description Users with an active window at once; default QUEUE_ACTIVE_CAPACITY
             * @example 5
             */
            queueCapacity?: number;
            /**
             * @description How long an admitted user has to show up (a poll, the seat map, a hold) before the place lapses as NO_SHOW; default QUEUE_CLAIM_SECONDS
             * @example 30
             */
            queueClaimSeconds?: number;
            /**
             * @description Length of an active window; default QUEUE_WINDOW_SECONDS
             * @example 300
             */
            queueWindowSeconds?: number;
            /**
             * Format: date-time
             * @description When sales close by themselves: in the future, not after startsAt, with a time zone offset. Without it, sales close at startsAt.
             * @example 2030-07-15T12:00:00+09:00
             */
            salesCloseAt?: string;
            /**
             * Format: date-time
             * @description When sales open: in the future, before the sales close, with a time zone offset. Until then the concert is UPCOMING and entries from preQueueOpensSeconds before go to a pre-queue, drawn in a random, auditable order at the opening. Without it, sales open at once.
             * @example 2030-07-01T10:00:00+09:00
             */
            salesOpenAt?: string;
            /** @description An explicit seat list; give this or `layout` */
            seats?: components["schemas"]["SeatDto"][];
            /**
             * Format: date-time
             * @description In the future, with a time zone offset
             * @example 2030-07-15T19:00:00+09:00
             */
            startsAt: string;
            /** @example Olympic Hall */
            venue: string;
        };
        CredentialsDto: {
            /**
             * Format: email
             * @description Trimmed and lower-cased
             * @example user@example.com
             */
            email: string;
            /** @example correct horse battery */
            password: string;
        };
        DrawResponse: {
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            concertId: string;
            /**
             * @description sha256 of the seed, hex: published from the start, before anyone enters
             * @example c3ab8ff13720e8ad9047dd39466b3c8974e592c2fa383d4a3960714caef0c4f2
             */
            drawCommitment: string;
            /**
             * Format: date-time
             * @description When the draw ran; null before
             * @example null
             */
            drawnAt: string | null;
            /**
             * @description The 32-byte seed, hex; null until the draw
             * @example null
             */
            drawSeed: string | null;
            /**
             * @description Entries drawn; before the draw, the entries in the pre-queue now
             * @example 100000
             */
            entrants: number;
            /**
             * @description This page of the entry ids in drawn order (the first is ticket 1): ascending sha256(seed bytes ‖ entry id bytes). Empty before the draw
             * @example [
             *       "5b9e2f14-6c3a-4d7e-a1b8-0f2c4d6e8a13"
             *     ]
             */
            entryIds: string[];
            pagination: components["schemas"]["PaginationResponse"];
            /**
             * Format: date-time
             * @description When sales open; the draw runs then
             * @example 2030-07-01T10:00:00.000Z
             */
            salesOpenAt: string;
        };
        /**
         * @description Stable, machine-readable reason; clients switch on this, not on `message`
         * @enum {string}
         */
        ErrorCode: "VALIDATION_FAILED" | "INVALID_JSON" | "BAD_REQUEST" | "UNAUTHENTICATED" | "FORBIDDEN" | "ROUTE_NOT_FOUND" | "NOT_FOUND" | "METHOD_NOT_ALLOWED" | "REQUEST_TIMEOUT" | "CONFLICT" | "CONCURRENT_UPDATE" | "PAYLOAD_TOO_LARGE" | "UNSUPPORTED_MEDIA_TYPE" | "HEADERS_TOO_LARGE" | "RATE_LIMITED" | "INTERNAL_ERROR" | "SERVICE_UNAVAILABLE" | "INVALID_IDEMPOTENCY_KEY" | "IDEMPOTENCY_KEY_IN_USE" | "IDEMPOTENCY_KEY_REUSED" | "EMAIL_ALREADY_REGISTERED" | "INVALID_CREDENTIALS" | "REFRESH_TOKEN_REUSED" | "CONCERT_NOT_FOUND" | "SALES_PAUSED" | "SALES_CLOSED" | "SALES_NOT_OPEN" | "SALES_ALREADY_OPEN" | "INVALID_SALES_OPEN_AT" | "INVALID_SEAT_LAYOUT" | "CONCERT_DATE_IN_PAST" | "INVALID_SALES_CLOSE_AT" | "QUEUE_ENTRY_NOT_FOUND" | "QUEUE_NOT_ACTIVE" | "QUEUE_ENTRY_ENDED" | "PRE_QUEUE_NOT_OPEN" | "DRAW_NOT_FOUND" | "INVALID_AMOUNT" | "BALANCE_LIMIT_EXCEEDED" | "INSUFFICIENT_POINTS" | "SEAT_NOT_FOUND" | "SEAT_ALREADY_RESERVED" | "HOLD_LIMIT_EXCEEDED" | "RESERVATION_NOT_FOUND" | "RESERVATION_FORBIDDEN" | "RESERVATION_NOT_PENDING" | "RESERVATION_ALREADY_PAID" | "RESERVATION_EXPIRED" | "PAYMENT_NOT_FOUND";
        ErrorResponse: {
            /**
             * @description Stable, machine-readable reason; clients switch on this, not on `message`
             * @example SEAT_ALREADY_RESERVED
             */
            code: components["schemas"]["ErrorCode"];
            /**
             * @description Structured facts about the error, when there are any (ids, limits, balances). VALIDATION_FAILED: `errors`, one `{field, message, constraint}` per broken rule, `field` a JSON pointer into the body (`/seatIds`) or the query parameter's name (`limit`)
             * @example {
             *       "seatIds": [
             *         "5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f"
             *       ]
             *     }
             */
            details?: {
                [key: string]: unknown;
            };
            /**
             * @description The HTTP status text
             * @example Conflict
             */
            error: string;
            /**
             * @description For people: may change wording at any time
             * @example Seat 5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f is already held or sold; nothing was held
             */
            message: string;
            /**
             * @description The HTTP status, repeated in the body
             * @example 409
             */
            statusCode: number;
        };
        HeldReservationResponse: {
            /**
             * Format: date-time
             * @description Pay before this
             * @example 2024-07-15T19:05:00.000Z
             */
            expiresAt: string;
            /**
             * Format: uuid
             * @description Reservation id, for POST /payment
             * @example c0e2a4b6-8d1f-4c3e-9a5b-7d9f1b3d5e6a
             */
            id: string;
            /**
             * @description In points: what paying this reservation costs
             * @example 50000
             */
            price: number;
            /**
             * Format: uuid
             * @example 5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f
             */
            seatId: string;
            /** @example PENDING */
            status: components["schemas"]["ReservationStatus"];
        };
        HoldSeatsDto: {
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            concertId: string;
            /**
             * @description Seats of that concert; at most MAX_SEATS_PER_RESERVATION (4) live holds per user and concert
             * @example [
             *       "5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f",
             *       "6c8f0e2a-4b3d-4f7c-9e1a-2b4d6f8a0c3e"
             *     ]
             */
            seatIds: string[];
        };
        HoldSeatsResponse: {
            /**
             * Format: date-time
             * @description When the holds lapse (all held together, so all at once): pay before this
             * @example 2024-07-15T19:05:00.000Z
             */
            expiresAt: string;
            /** @description In the order of seatIds */
            reservations: components["schemas"]["HeldReservationResponse"][];
            /**
             * @description In points: the sum of the prices, what POST /payment with these reservations costs
             * @example 100000
             */
            totalAmount: number;
        };
        LogoutDto: {
            /**
             * @description The refresh token of the session to end; omitted, the access token's own session
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiI5ZDQ0In0.c2lnbmF0dXJl
             */
            refreshToken?: string;
        };
        PaginationResponse: {
            /** @example 20 */
            limit: number;
            /** @example 1 */
            page: number;
            /** @example 2 */
            total: number;
            /** @example 1 */
            totalPages: number;
        };
        PaymentDetailsResponse: {
            /**
             * Format: date-time
             * @example 2024-07-10T15:03:00.000Z
             */
            createdAt: string;
            /**
             * Format: uuid
             * @example e4a6c8e0-2b4d-4f6a-8c1e-3f5b7d9a1c2e
             */
            paymentId: string;
            /**
             * @example [
             *       "c0e2a4b6-8d1f-4c3e-9a5b-7d9f1b3d5e6a",
             *       "d1f3b5c7-9e2a-4d4f-8b6c-8e0a2c4e6f7b"
             *     ]
             */
            reservationIds: string[];
            reservations: components["schemas"]["ReservationResponse"][];
            /** @example COMPLETED */
            status: components["schemas"]["PaymentStatus"];
            /**
             * @description Points debited
             * @example 100000
             */
            totalAmount: number;
        };
        PaymentResponse: {
            /**
             * Format: date-time
             * @example 2024-07-10T15:03:00.000Z
             */
            createdAt: string;
            /**
             * Format: uuid
             * @example e4a6c8e0-2b4d-4f6a-8c1e-3f5b7d9a1c2e
             */
            paymentId: string;
            /**
             * @example [
             *       "c0e2a4b6-8d1f-4c3e-9a5b-7d9f1b3d5e6a",
             *       "d1f3b5c7-9e2a-4d4f-8b6c-8e0a2c4e6f7b"
             *     ]
             */
            reservationIds: string[];
            /** @example COMPLETED */
            status: components["schemas"]["PaymentStatus"];
            /**
             * @description Points debited
             * @example 100000
             */
            totalAmount: number;
        };
        /** @enum {string} */
        PaymentStatus: "COMPLETED";
        PayReservationsDto: {
            /**
             * @description The caller's PENDING reservations
             * @example [
             *       "c0e2a4b6-8d1f-4c3e-9a5b-7d9f1b3d5e6a",
             *       "d1f3b5c7-9e2a-4d4f-8b6c-8e0a2c4e6f7b"
             *     ]
             */
            reservationIds: string[];
        };
        /** @enum {string} */
        PointEntryType: "CHARGE" | "PAYMENT" | "REFUND";
        PointHistoryEntryResponse: {
            /**
             * @description Signed: a payment is negative
             * @example -100000
             */
            amount: number;
            /** @example 5000 */
            balanceAfter: number;
            /**
             * Format: date-time
             * @example 2024-07-10T15:03:00.000Z
             */
            createdAt: string;
            /**
             * Format: uuid
             * @example f5b7d9f1-3c5e-4a7b-9d2f-4a6c8e0b2d3f
             */
            id: string;
            /**
             * Format: uuid
             * @example e4a6c8e0-2b4d-4f6a-8c1e-3f5b7d9a1c2e
             */
            paymentId: string | null;
            /** @example PAYMENT */
            type: components["schemas"]["PointEntryType"];
        };
        PointHistoryResponse: {
            history: components["schemas"]["PointHistoryEntryResponse"][];
            pagination: components["schemas"]["PaginationResponse"];
        };
        PointsBalanceResponse: {
            /** @example 5000 */
            points: number;
        };
        QueueEntryResponse: {
            /**
             * Format: date-time
             * @description The database time the answer is true at: a WAITING position comes from a snapshot at most 500 ms old (usually under 250 ms)
             * @example 2026-12-04T18:00:00.000Z
             */
            asOf: string;
            /**
             * Format: date-time
             * @description ACTIVE and not claimed yet: the place lapses as NO_SHOW unless the seat map, a hold or a poll of this route claims it by then (the window then starts). Null once claimed, and while waiting
             * @example null
             */
            claimBy: string | null;
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            concertId: string;
            /**
             * Format: uuid
             * @description Your entry id, on answers that read your entry (entering, the pre-queue, the first poll after the draw, ACTIVE): the draw orders entries by it, so keep it to find your place in GET /concerts/{concertId}/draw
             * @example 5b9e2f14-6c3a-4d7e-a1b8-0f2c4d6e8a13
             */
            entryId?: string;
            /**
             * @description null while active
             * @example 600
             */
            estimatedWaitSeconds: number | null;
            /**
             * @description For people; null while active
             * @example 10 minutes
             */
            estimatedWaitTime: string | null;
            /**
             * Format: date-time
             * @description End of the active window; null while waiting
             * @example null
             */
            expiresAt: string | null;
            /**
             * @description 1-based; positions 1..capacity are ACTIVE. Null in the pre-queue: places are drawn at the opening
             * @example 42
             */
            queuePosition: number | null;
            /**
             * @description Your place, signed for you and this concert. Send it back in a Queue-Ticket header when polling: any server then answers from its snapshot. Optional; polls without it are answered too
             * @example 1042.3q2-7wAAAAAAAAAAAAAAAA
             */
            queueTicket: string | null;
            /**
             * @description Poll again after this many milliseconds (also sent as Retry-After, in seconds): about 1000 near the front, up to 60000 far back; while ACTIVE, never past the end of the window
             * @example 12000
             */
            retryAfterMs: number;
            /**
             * Format: date-time
             * @description The concert's opening, on answers that read your entry; null when its sales opened at once
             * @example 2030-07-01T10:00:00.000Z
             */
            salesOpenAt?: string | null;
            /**
             * @description ACTIVE: the window is open until expiresAt (the answer that first shows ACTIVE claims the place, and the full window starts then). WAITING: poll after retryAfterMs. PRE_QUEUE: entered before the opening; poll after retryAfterMs, shortly after salesOpenAt, for the drawn place
             * @example WAITING
             * @enum {string}
             */
            status: "PRE_QUEUE" | "ACTIVE" | "WAITING";
            /**
             * Format: uuid
             * @example 3f1c9a52-7d4e-4b8a-9c61-2e5f0d8b7a14
             */
            userId: string;
        };
        ReservationListResponse: {
            pagination: components["schemas"]["PaginationResponse"];
            reservations: components["schemas"]["ReservationResponse"][];
        };
        ReservationResponse: {
            /**
             * Format: uuid
             * @example a8d2c4e6-1b3f-4a5c-8e7d-9f0a1b2c3d4e
             */
            concertId: string;
            /** @example Summer Rock Fest */
            concertName: string;
            /**
             * Format: date-time
             * @description While PENDING: pay before this. When EXPIRED: when the hold lapsed. Absent once paid or cancelled
             * @example 2024-07-15T19:05:00.000Z
             */
            expiresAt?: string;
            /**
             * Format: uuid
             * @example c0e2a4b6-8d1f-4c3e-9a5b-7d9f1b3d5e6a
             */
            id: string;
            /**
             * Format: date-time
             * @description When it was paid; only when CONFIRMED
             * @example 2024-07-10T15:03:00.000Z
             */
            paidAt?: string;
            /**
             * @description In points
             * @example 50000
             */
            price: number;
            /**
             * Format: date-time
             * @example 2024-07-10T15:00:00.000Z
             */
            reservedAt: string;
            /**
             * Format: uuid
             * @example 5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f
             */
            seatId: string;
            /** @example A1 */
            seatNumber: string;
            /**
             * @description A PENDING reservation past its expiry is reported as EXPIRED
             * @example CONFIRMED
             */
            status: components["schemas"]["ReservationStatus"];
        };
        /** @enum {string} */
        ReservationStatus: "PENDING" | "CONFIRMED" | "EXPIRED" | "CANCELLED" | "SALES_CLOSED";
        /** @enum {string} */
        Role: "USER" | "ADMIN";
        /**
         * @description As of now: CLOSED once salesCloseAt has passed
         * @enum {string}
         */
        SalesState: "UPCOMING" | "ON_SALE" | "PAUSED" | "CLOSED";
        SeatCountsResponse: {
            /**
             * @description Includes holds that have lapsed
             * @example 40
             */
            available: number;
            /** @example 2 */
            held: number;
            /** @example 8 */
            sold: number;
        };
        SeatDto: {
            /** @example A1 */
            number: string;
            /**
             * @description In points
             * @example 50000
             */
            price: number;
            /**
             * @default GENERAL
             * @example A
             */
            section: string;
        };
        SeatLayoutDto: {
            rows: components["schemas"]["SeatRowDto"][];
        };
        SeatMapResponse: {
            concertInfo: components["schemas"]["ConcertInfoResponse"];
            pagination: components["schemas"]["PaginationResponse"];
            seats: components["schemas"]["SeatResponse"][];
        };
        SeatResponse: {
            /**
             * Format: uuid
             * @example 5b7e9d1f-3a2c-4e6b-8d0f-1a3c5e7b9d2f
             */
            id: string;
            /**
             * @description You hold this seat (unexpired) or bought it
             * @example false
             */
            mine: boolean;
            /** @example A1 */
            number: string;
            /**
             * @description In points
             * @example 50000
             */
            price: number;
            /** @example A */
            section: string;
            /**
             * @description AVAILABLE also for a hold that has lapsed
             * @example AVAILABLE
             */
            status: components["schemas"]["SeatStatus"];
        };
        SeatRowDto: {
            /**
             * @description Row label, also the section
             * @example A
             */
            label: string;
            /**
             * @description In points
             * @example 50000
             */
            price: number;
            /** @example 10 */
            seats: number;
        };
        /** @enum {string} */
        SeatStatus: "AVAILABLE" | "HELD" | "SOLD";
        SessionResponse: {
            /**
             * @description Send as `Authorization: Bearer <accessToken>`
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWE1MiJ9.c2lnbmF0dXJl
             */
            accessToken: string;
            /**
             * @description Only for POST /auth/refresh and /auth/logout
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiI5ZDQ0In0.c2lnbmF0dXJl
             */
            refreshToken: string;
            /**
             * Format: uuid
             * @example 3f1c9a52-7d4e-4b8a-9c61-2e5f0d8b7a14
             */
            userId: string;
        };
        TokenPairResponse: {
            /**
             * @description Send as `Authorization: Bearer <accessToken>`
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIzZjFjOWE1MiJ9.c2lnbmF0dXJl
             */
            accessToken: string;
            /**
             * @description Only for POST /auth/refresh and /auth/logout
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJqdGkiOiI5ZDQ0In0.c2lnbmF0dXJl
             */
            refreshToken: string;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    adminListConcerts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConcertListAdminResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    adminCreateConcert: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateConcertDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConcertResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON, INVALID_SEAT_LAYOUT, CONCERT_DATE_IN_PAST, INVALID_SALES_CLOSE_AT, INVALID_SALES_OPEN_AT */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    adminGetConcert: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Concert id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConcertStatsResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    adminChangeConcert: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Concert id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangeConcertSettingsDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConcertResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON, INVALID_SALES_CLOSE_AT, INVALID_SALES_OPEN_AT */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SALES_ALREADY_OPEN, SALES_CLOSED, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    login: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CredentialsDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description INVALID_CREDENTIALS */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    logout: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["LogoutDto"];
            };
        };
        responses: {
            /** @description The session is over; its refresh tokens no longer work */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED, INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getMe: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    refreshTokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenPairResponse"];
                };
            };
            /** @description UNAUTHENTICATED, REFRESH_TOKEN_REUSED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    register: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CredentialsDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description EMAIL_ALREADY_REGISTERED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RATE_LIMITED */
            429: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listConcerts: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConcertListResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getDraw: {
        parameters: {
            query?: {
                limit?: number;
                page?: number;
            };
            header?: never;
            path: {
                concertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DrawResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND, DRAW_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getQueueState: {
        parameters: {
            query?: never;
            header?: {
                /** @description The queueTicket of an earlier answer; a missing or invalid one is ignored */
                "queue-ticket"?: string;
            };
            path: {
                concertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    /** @description Seconds until the next poll: retryAfterMs rounded up */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueEntryResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND, QUEUE_ENTRY_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description QUEUE_ENTRY_ENDED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    enterQueue: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                concertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Already in the queue */
            200: {
                headers: {
                    /** @description Seconds until the next poll: retryAfterMs rounded up */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueEntryResponse"];
                };
            };
            /** @description Entered */
            201: {
                headers: {
                    /** @description Seconds until the next poll: retryAfterMs rounded up */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueEntryResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SALES_PAUSED, SALES_CLOSED, PRE_QUEUE_NOT_OPEN, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    enterQueueByPost: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                concertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Already in the queue */
            200: {
                headers: {
                    /** @description Seconds until the next poll: retryAfterMs rounded up */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueEntryResponse"];
                };
            };
            /** @description Entered */
            201: {
                headers: {
                    /** @description Seconds until the next poll: retryAfterMs rounded up */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QueueEntryResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SALES_PAUSED, SALES_CLOSED, PRE_QUEUE_NOT_OPEN, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    leaveQueue: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                concertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Not in the queue any more */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getHealth: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Health Check is successful */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up",
                         *         "responseTime": 12
                         *       }
                         *     }
                         */
                        details?: {
                            [key: string]: {
                                /** @description Time the health indicator took to respond, in ms */
                                responseTime?: number;
                                /** @enum {string} */
                                status: "up" | "degraded" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        };
                        /** @example {} */
                        error?: {
                            [key: string]: {
                                /** @description Time the health indicator took to respond, in ms */
                                responseTime?: number;
                                /** @enum {string} */
                                status: "up" | "degraded" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up",
                         *         "responseTime": 12
                         *       }
                         *     }
                         */
                        info?: {
                            [key: string]: {
                                /** @description Time the health indicator took to respond, in ms */
                                responseTime?: number;
                                /** @enum {string} */
                                status: "up" | "degraded" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example ok
                         * @enum {string}
                         */
                        status?: "ok" | "degraded";
                    };
                };
            };
            /**
             * @description SERVICE_UNAVAILABLE
             *
             *     The Health Check is not successful
             */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up",
                         *         "responseTime": 12
                         *       },
                         *       "redis": {
                         *         "status": "down",
                         *         "message": "Could not connect",
                         *         "responseTime": 3005
                         *       }
                         *     }
                         */
                        details?: {
                            [key: string]: {
                                /** @description Time the health indicator took to respond, in ms */
                                responseTime?: number;
                                /** @enum {string} */
                                status: "up" | "degraded" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        };
                        /**
                         * @example {
                         *       "redis": {
                         *         "status": "down",
                         *         "message": "Could not connect",
                         *         "responseTime": 3005
                         *       }
                         *     }
                         */
                        error?: {
                            [key: string]: {
                                /** @description Time the health indicator took to respond, in ms */
                                responseTime?: number;
                                /** @enum {string} */
                                status: "up" | "degraded" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up",
                         *         "responseTime": 12
                         *       }
                         *     }
                         */
                        info?: {
                            [key: string]: {
                                /** @description Time the health indicator took to respond, in ms */
                                responseTime?: number;
                                /** @enum {string} */
                                status: "up" | "degraded" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example error
                         * @enum {string}
                         */
                        status?: "error" | "shutting_down";
                    };
                };
            };
        };
    };
    pay: {
        parameters: {
            query?: never;
            header?: {
                /** @description Optional Idempotency-Key: 1–255 printable ASCII characters, a new one per operation (a UUID is ideal). A retry with the same key and body returns the first result without repeating the effect; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. Keys are kept for 24 hours. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["PayReservationsDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaymentResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON, INVALID_IDEMPOTENCY_KEY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description INSUFFICIENT_POINTS */
            402: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RESERVATION_FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RESERVATION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SALES_CLOSED, RESERVATION_ALREADY_PAID, IDEMPOTENCY_KEY_IN_USE, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RESERVATION_EXPIRED */
            410: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getPayment: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Payment id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PaymentDetailsResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description PAYMENT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getPoints: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PointsBalanceResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    chargePoints: {
        parameters: {
            query?: never;
            header?: {
                /** @description Optional Idempotency-Key: 1–255 printable ASCII characters, a new one per operation (a UUID is ideal). A retry with the same key and body returns the first result without repeating the effect; the same key with another body is 422 IDEMPOTENCY_KEY_REUSED. Keys are kept for 24 hours. */
                "idempotency-key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChargePointsDto"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChargePointsResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON, INVALID_AMOUNT, BALANCE_LIMIT_EXCEEDED, INVALID_IDEMPOTENCY_KEY */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description IDEMPOTENCY_KEY_IN_USE, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description IDEMPOTENCY_KEY_REUSED */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getPointsHistory: {
        parameters: {
            query?: {
                limit?: number;
                page?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PointHistoryResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listReservations: {
        parameters: {
            query?: {
                limit?: number;
                page?: number;
                /** @description A PENDING reservation past its expiry counts as EXPIRED */
                status?: components["schemas"]["ReservationStatus"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ReservationListResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getSeatMap: {
        parameters: {
            query?: {
                limit?: number;
                page?: number;
                /** @description Only seats in this state (a seat whose hold has lapsed is AVAILABLE); pagination counts these */
                status?: components["schemas"]["SeatStatus"];
            };
            header?: never;
            path: {
                concertId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SeatMapResponse"];
                };
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description QUEUE_NOT_ACTIVE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SALES_NOT_OPEN, SALES_CLOSED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    cancelReservation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Reservation id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Cancelled */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description VALIDATION_FAILED */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RESERVATION_FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RESERVATION_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description RESERVATION_NOT_PENDING, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listAvailableDates: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AvailableDatesResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    holdSeats: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["HoldSeatsDto"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HoldSeatsResponse"];
                };
            };
            /** @description VALIDATION_FAILED, INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNAUTHENTICATED */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description QUEUE_NOT_ACTIVE */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description CONCERT_NOT_FOUND, SEAT_NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SALES_NOT_OPEN, SALES_PAUSED, SALES_CLOSED, SEAT_ALREADY_RESERVED, HOLD_LIMIT_EXCEEDED, CONCURRENT_UPDATE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description SERVICE_UNAVAILABLE */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
}
