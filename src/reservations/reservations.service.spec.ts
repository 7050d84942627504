import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { EventMetrics } from '../metrics/event-metrics.js';
import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryReservationsRepository } from '../../test/fakes/in-memory-reservations.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import { ConcertNotFoundError, SalesClosedError, SalesPausedError } from '../concerts/concerts.errors.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import { QueueNotActiveError } from '../queue/queue.errors.js';
import type { QueueExits } from '../queue/queue-exits.js';
import {
  HoldLimitExceededError,
  InvalidSeatSelectionError,
  ReservationForbiddenError,
  ReservationNotFoundError,
  ReservationNotPendingError,
  SeatAlreadyReservedError,
  SeatNotFoundError,
} from './reservations.errors.js';
import {
  HOLD_SEATS_OUTCOMES,
  type HoldOutcome,
  type HoldSeatsOutcome,
  type ReservationsRepository,
} from './reservations.repository.js';
import type { SeatView } from './reservations.repository.js';
import { HOLD_SWEEP_BATCH, ReservationsService, type SeatMap } from './reservations.service.js';

const HOLD_SECONDS = 300;
const CONCERT_ID = '11111111-1111-4111-8111-111111111111';

const seatNumbers = (map: SeatMap) => (JSON.parse(map.seatsJson) as SeatView[]).map((seat) => seat.number);

describe(ReservationsService.name, () => {
  let locks: string[];
  let repo: InMemoryReservationsRepository;
  let concertId: string;
  let sut: ReservationsService;

  beforeEach(() => {
    locks = [];
    repo = new InMemoryReservationsRepository(locks);
    const config = testConfig({ MAX_SEATS_PER_RESERVATION: 4, RESERVATION_HOLD_SECONDS: HOLD_SECONDS });
    concertId = randomUUID();
    const runner = fake<TransactionRunner>(new FakeTransactionRunner());
    sut = new ReservationsService(
      FAKE_PRISMA,
      runner,
      fake<ReservationsRepository>(repo),
      config,
      new EventMetrics(new Registry()),
      fake<QueueExits>({ latest: () => Promise.resolve(null) }),
    );
  });

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  describe('getSeatMap', () => {
    beforeEach(() => {
      repo.concerts.set(concertId, {
        id: concertId,
        name: 'Night',
        venue: 'Hall',
        startsAt: new Date('2025-02-01T19:00:00Z'),
        salesState: 'ON_SALE',
        salesCloseAt: new Date('2025-02-01T19:00:00Z'),
        salesOpenAt: null,
        preQueueOpensSeconds: 1800,
        queueCapacity: 5,
        queueWindowSeconds: 300,
        queueClaimSeconds: 30,
      });
      repo.addSeats(concertId, 5);
    });

    it('answers a page of the seats and their total to a caller with an open window', async () => {
      repo.openWindows.add(`u1:${concertId}`);
      const map = await sut.getSeatMap('u1', concertId, { page: 2, limit: 2 });
      expect(map).toMatchObject({ concert: { id: concertId }, page: 2, limit: 2, total: 5 });
      expect(seatNumbers(map)).toEqual(['A3', 'A4']);
    });

    it('counts the seats of a concert once, then reads only later unfiltered pages’ seat states', async () => {
      repo.openWindows.add(`u1:${concertId}`);
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2, status: 'AVAILABLE' });
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2 });
      const map = await sut.getSeatMap('u1', concertId, { page: 3, limit: 2 });
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2, status: 'AVAILABLE' });
      // A filtered total is counted every time (seats change state); an unfiltered one only first,
      // after which the replica has the seats' catalog and asks only for the page's states.
      expect(repo.knownSeatLayouts).toEqual([null, null, null]);
      expect(repo.seatStatusReads).toEqual([4]);
      expect(map).toMatchObject({ total: 5, page: 3 });
      expect(seatNumbers(map)).toEqual(['A5']);
    });

    it('answers a page from the catalog as the seat-map statement does', async () => {
      repo.openWindows.add(`u1:${concertId}`);
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2 });
      const [, second, third] = repo.seatsOf(concertId);
      second!.status = 'SOLD';
      Object.assign(third!, { status: 'HELD', heldUntil: new Date(repo.now.getTime() + 60_000) });
      await sut.holdSeats('u1', concertId, [repo.seatsOf(concertId)[3]!.id]);
      for (const page of [1, 2, 3, 4]) {
        const fromCatalog = await sut.getSeatMap('u1', concertId, { page, limit: 2 });
        const fromStatement = await repo.findSeatMap(FAKE_PRISMA.poolQuery, 'u1', concertId, {
          offset: (page - 1) * 2,
          limit: 2,
        });
        expect(fromCatalog.seatsJson).toBe(fromStatement!.seatsJson);
      }
      expect(repo.seatStatusReads).toEqual([0, 2, 4, 6]);
    });

    it('lets the first pages of a fresh concert that arrive together wait for one count', async () => {
      repo.openWindows.add(`u1:${concertId}`);
      const maps = await Promise.all(
        [1, 2, 3].map((page) => sut.getSeatMap('u1', concertId, { page, limit: 2 })),
      );
      // The first counted; the two that came meanwhile waited for it and used the catalog it read.
      expect(repo.knownSeatLayouts).toEqual([null]);
      expect(repo.seatStatusReads).toEqual([2, 4]);
      expect(maps.map(seatNumbers)).toEqual([['A1', 'A2'], ['A3', 'A4'], ['A5']]);
      expect(maps.map((map) => map.total)).toEqual([5, 5, 5]);
    });

    it('pages by the layout when the catalog could not be read', async () => {
      repo.openWindows.add(`u1:${concertId}`);
      repo.findCatalogSeats = () => Promise.reject(new Error('connection lost'));
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2 });
      const map = await sut.getSeatMap('u1', concertId, { page: 2, limit: 2 });
      expect(repo.knownSeatLayouts).toEqual([null, { count: 5, positionsDense: true }]);
      expect(seatNumbers(map)).toEqual(['A3', 'A4']);
    });

    it('lets a closed concert’s catalog go', async () => {
      repo.openWindows.add(`u1:${concertId}`);
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2 });
      repo.concerts.get(concertId)!.salesState = 'CLOSED';
      await expect(sut.getSeatMap('u1', concertId, { page: 1, limit: 2 })).rejects.toBeInstanceOf(
        SalesClosedError,
      );
      repo.concerts.get(concertId)!.salesState = 'ON_SALE';
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2 });
      expect(repo.knownSeatLayouts).toEqual([null, null]);
    });

    it('does not remember a count it was refused', async () => {
      await rejection(sut.getSeatMap('u1', concertId, { page: 1, limit: 2 }));
      repo.openWindows.add(`u1:${concertId}`);
      await sut.getSeatMap('u1', concertId, { page: 1, limit: 2 });
      expect(repo.knownSeatLayouts).toEqual([null, null]);
    });

    it('refuses an unknown concert (404) before a caller without an open window (403)', async () => {
      await expect(sut.getSeatMap('u1', randomUUID(), { page: 1, limit: 10 })).rejects.toBeInstanceOf(
        ConcertNotFoundError,
      );
      await expect(sut.getSeatMap('u1', concertId, { page: 1, limit: 10 })).rejects.toBeInstanceOf(
        QueueNotActiveError,
      );
    });
  });

  // The rules themselves are the hold_seats SQL function's, tested against PostgreSQL in
  // test/e2e/sql-functions/ and through HTTP; here, what the service asks and how it answers.
  describe('holdSeats', () => {
    it('asks for the seats with the configured cap and hold time, and answers the holds', async () => {
      const holds = [
        { id: 'r1', seatId: 's2', status: 'PENDING' as const, price: 1000, expiresAt: new Date() },
      ];
      repo.holdOutcome = { outcome: 'HELD', holds };

      await expect(sut.holdSeats('u1', concertId, ['s2'])).resolves.toBe(holds);
      expect(repo.holdRequests).toEqual([
        { userId: 'u1', concertId, seatIds: ['s2'], maxSeats: 4, holdSeconds: HOLD_SECONDS },
      ]);
    });

    it.each([
      ['no seats', []],
      ['more seats than MAX_SEATS_PER_RESERVATION', ['s1', 's2', 's3', 's4', 's5']],
      ['a repeated seat', ['s1', 's1']],
    ])('refuses %s without asking the database', async (_case, seatIds) => {
      await expect(sut.holdSeats('u1', concertId, seatIds)).rejects.toBeInstanceOf(InvalidSeatSelectionError);
      expect(repo.holdRequests).toEqual([]);
    });

    // One case per refusal the function can answer: the type makes a new outcome need one here.
    const refusals: {
      [K in Exclude<HoldSeatsOutcome, 'HELD'>]: [
        HoldOutcome & { outcome: K },
        new (...args: never[]) => Error,
        Record<string, unknown>,
      ];
    } = {
      CONCERT_NOT_FOUND: [{ outcome: 'CONCERT_NOT_FOUND' }, ConcertNotFoundError, { concertId: CONCERT_ID }],
      SALES_PAUSED: [
        { outcome: 'SALES_PAUSED' },
        SalesPausedError,
        { concertId: CONCERT_ID, salesState: 'PAUSED' },
      ],
      SALES_CLOSED: [
        { outcome: 'SALES_CLOSED' },
        SalesClosedError,
        { concertId: CONCERT_ID, salesState: 'CLOSED' },
      ],
      QUEUE_NOT_ACTIVE: [{ outcome: 'QUEUE_NOT_ACTIVE' }, QueueNotActiveError, { concertId: CONCERT_ID }],
      HOLD_LIMIT_EXCEEDED: [
        { outcome: 'HOLD_LIMIT_EXCEEDED', held: 3 },
        HoldLimitExceededError,
        { limit: 4, held: 3, requested: 2 },
      ],
      SEAT_NOT_FOUND: [
        { outcome: 'SEAT_NOT_FOUND', seatIds: ['s2'] },
        SeatNotFoundError,
        { concertId: CONCERT_ID, seatIds: ['s2'] },
      ],
      SEAT_LOCKED: [
        { outcome: 'SEAT_LOCKED', seatIds: ['s1'] },
        SeatAlreadyReservedError,
        { seatIds: ['s1'] },
      ],
      SEAT_ALREADY_RESERVED: [
        { outcome: 'SEAT_ALREADY_RESERVED', seatIds: ['s2'] },
        SeatAlreadyReservedError,
        { seatIds: ['s2'] },
      ],
    };

    it('has a case for every outcome hold_seats answers', () => {
      expect(['HELD', ...Object.keys(refusals)].sort()).toEqual([...HOLD_SEATS_OUTCOMES].sort());
    });

    it.each(Object.values(refusals))(
      'answers %j with its domain error',
      async (outcome, errorClass, details) => {
        repo.holdOutcome = outcome;
        const error = await rejection(sut.holdSeats('u1', CONCERT_ID, ['s1', 's2']));
        expect(error).toBeInstanceOf(errorClass);
        expect((error as { details?: unknown }).details).toEqual(details);
      },
    );
  });

  describe('cancelReservation', () => {
    it('cancels the caller’s live hold and frees its seat, locking the seat before the reservation', async () => {
      const [seat] = repo.addSeats(concertId, 1);
      const hold = repo.addHold('u1', seat!);
      await sut.cancelReservation('u1', hold.id);
      expect(hold.status).toBe('CANCELLED');
      expect(seat).toMatchObject({ status: 'AVAILABLE', heldUntil: null });
      expect(locks).toEqual([`seat:${seat!.id}`, `reservation:${hold.id}`]);
    });

    it('refuses an unknown reservation (404) and another user’s (403) before locking', async () => {
      const [seat] = repo.addSeats(concertId, 1);
      const hold = repo.addHold('u2', seat!);
      await expect(sut.cancelReservation('u1', randomUUID())).rejects.toBeInstanceOf(
        ReservationNotFoundError,
      );
      await expect(sut.cancelReservation('u1', hold.id)).rejects.toBeInstanceOf(ReservationForbiddenError);
      expect(locks).toEqual([]);
      expect(hold.status).toBe('PENDING');
    });

    it.each([
      ['paid', { status: 'CONFIRMED' as const }, 'CONFIRMED'],
      ['lapsed', { expiresInSeconds: 0 }, 'EXPIRED'],
    ])(
      'refuses a %s reservation as not pending and leaves the seat alone',
      async (_case, options, status) => {
        const [seat] = repo.addSeats(concertId, 1);
        const hold = repo.addHold('u1', seat!, options);
        const seatBefore = { ...seat! };
        const error = await rejection(sut.cancelReservation('u1', hold.id));
        expect(error).toBeInstanceOf(ReservationNotPendingError);
        expect((error as ReservationNotPendingError).details).toEqual({ reservationId: hold.id, status });
        expect(seat).toEqual(seatBefore);
      },
    );
  });

  describe('expireLapsedHolds', () => {
    it('releases every lapsed hold in batches and leaves live ones', async () => {
      const seats = repo.addSeats(concertId, HOLD_SWEEP_BATCH * 2 + 2);
      const lapsed = seats
        .slice(0, HOLD_SWEEP_BATCH * 2 + 1)
        .map((seat) => repo.addHold('u1', seat, { expiresInSeconds: 1 }));
      repo.advanceSeconds(1);
      const live = repo.addHold('u1', seats.at(-1)!);

      await expect(sut.expireLapsedHolds()).resolves.toBe(HOLD_SWEEP_BATCH * 2 + 1);

      expect(repo.sweepStatements).toBe(3);
      expect(new Set(lapsed.map((reservation) => reservation.status))).toEqual(new Set(['EXPIRED']));
      expect(seats.filter((seat) => seat.status === 'AVAILABLE')).toHaveLength(HOLD_SWEEP_BATCH * 2 + 1);
      expect(live.status).toBe('PENDING');
      expect(seats.at(-1)!.status).toBe('HELD');
    });
  });
});
