import { randomUUID } from 'node:crypto';
import { FAKE_PRISMA, FAKE_TX, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryConcertsRepository } from '../../test/fakes/in-memory-concerts.repository.js';
import { InMemoryQueueWindows } from '../../test/fakes/in-memory-queue-windows.js';
import { InMemoryReservationsRepository } from '../../test/fakes/in-memory-reservations.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import type { ConcertsRepository } from '../concerts/concerts.repository.js';
import { ConcertNotFoundError } from '../concerts/concerts.errors.js';
import { ConcertsService } from '../concerts/concerts.service.js';
import type { QueueStateReader } from '../concerts/queue-state-reader.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import { QueueNotActiveError } from '../queue/queue.errors.js';
import {
  HoldLimitExceededError,
  InvalidSeatSelectionError,
  ReservationAlreadyPaidError,
  ReservationExpiredError,
  ReservationForbiddenError,
  ReservationNotFoundError,
  ReservationNotPendingError,
  SeatAlreadyReservedError,
  SeatNotFoundError,
} from './reservations.errors.js';
import type { ReservationsRepository } from './reservations.repository.js';
import { HOLD_SWEEP_BATCH, ReservationsService } from './reservations.service.js';

const HOLD_SECONDS = 300;
/** The concert list's queue states play no part in reservations. */
const NO_QUEUE_STATES: QueueStateReader = { forUser: async () => new Map() };

describe(ReservationsService.name, () => {
  let locks: string[];
  let repo: InMemoryReservationsRepository;
  let queue: InMemoryQueueWindows;
  let concertId: string;
  let sut: ReservationsService;

  beforeEach(() => {
    locks = [];
    repo = new InMemoryReservationsRepository(locks);
    queue = new InMemoryQueueWindows(locks);
    const config = testConfig({ MAX_SEATS_PER_RESERVATION: 4, RESERVATION_HOLD_SECONDS: HOLD_SECONDS });
    const concertsRepo = new InMemoryConcertsRepository();
    concertId = concertsRepo.add().id;
    const runner = fake<TransactionRunner>(new FakeTransactionRunner());
    const concerts = new ConcertsService(
      runner,
      FAKE_PRISMA,
      fake<ConcertsRepository>(concertsRepo),
      config,
      NO_QUEUE_STATES,
    );
    sut = new ReservationsService(
      FAKE_PRISMA,
      runner,
      fake<ReservationsRepository>(repo),
      concerts,
      queue.asQueueService(),
      config,
    );
    queue.openWindow('u1', concertId);
  });

  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  describe('holdSeats', () => {
    it('holds every seat until now + RESERVATION_HOLD_SECONDS and answers in the order asked', async () => {
      const [a, b] = repo.addSeats(concertId, 2, { price: 25_000 });
      const holds = await sut.holdSeats('u1', concertId, [b!.id, a!.id]);

      const expiresAt = new Date(repo.now.getTime() + HOLD_SECONDS * 1000);
      expect(holds).toEqual([
        { id: expect.any(String), seatId: b!.id, status: 'PENDING', expiresAt },
        { id: expect.any(String), seatId: a!.id, status: 'PENDING', expiresAt },
      ]);
      expect([a, b].map((seat) => [seat!.status, seat!.heldUntil])).toEqual([
        ['HELD', expiresAt],
        ['HELD', expiresAt],
      ]);
      expect(holds.map((hold) => repo.reservation(hold.id).price)).toEqual([25_000, 25_000]);
    });

    it('takes the user’s hold lock first, then the seats in id order, whatever order they were asked in', async () => {
      repo.addSeats(concertId, 3, { ids: ['seat-c', 'seat-a', 'seat-b'] });
      await sut.holdSeats('u1', concertId, ['seat-c', 'seat-a', 'seat-b']);
      expect(locks).toEqual([`holds:u1:${concertId}`, 'seat:seat-a', 'seat:seat-b', 'seat:seat-c']);
    });

    it.each([
      ['no seats', []],
      ['more seats than MAX_SEATS_PER_RESERVATION', ['s1', 's2', 's3', 's4', 's5']],
      ['a repeated seat', ['s1', 's1']],
    ])('refuses %s before touching anything', async (_case, seatIds) => {
      await expect(sut.holdSeats('u1', concertId, seatIds)).rejects.toBeInstanceOf(InvalidSeatSelectionError);
      expect(locks).toEqual([]);
    });

    it('refuses an unknown concert, then a user without an open window, before locking anything', async () => {
      const [seat] = repo.addSeats(concertId, 1);
      await expect(sut.holdSeats('u1', randomUUID(), [seat!.id])).rejects.toBeInstanceOf(
        ConcertNotFoundError,
      );
      await expect(sut.holdSeats('u2', concertId, [seat!.id])).rejects.toBeInstanceOf(QueueNotActiveError);
      expect(locks).toEqual([]);
      expect(seat!.status).toBe('AVAILABLE');
    });

    it('names the seats that are not in the concert and holds none', async () => {
      const [mine] = repo.addSeats(concertId, 1);
      const [foreign] = repo.addSeats('other-concert', 1);
      const error = await rejection(sut.holdSeats('u1', concertId, [mine!.id, foreign!.id, 'nowhere']));
      expect(error).toBeInstanceOf(SeatNotFoundError);
      expect((error as SeatNotFoundError).details).toEqual({ concertId, seatIds: [foreign!.id, 'nowhere'] });
      expect(mine!.status).toBe('AVAILABLE');
      expect(repo.reservations.size).toBe(0);
    });

    it('holds nothing when any seat is held or sold, and names those', async () => {
      const [free, held, sold] = repo.addSeats(concertId, 3);
      repo.addHold('u2', held!);
      sold!.status = 'SOLD';
      const error = await rejection(sut.holdSeats('u1', concertId, [free!.id, held!.id, sold!.id]));
      expect(error).toBeInstanceOf(SeatAlreadyReservedError);
      expect((error as SeatAlreadyReservedError).details).toEqual({ seatIds: [held!.id, sold!.id] });
      expect(free!.status).toBe('AVAILABLE');
      expect(repo.reservations.size).toBe(1);
    });

    it('answers 409 at once, holding nothing, when another request has one of the seats locked', async () => {
      const [free, busy] = repo.addSeats(concertId, 2);
      repo.busySeatIds.add(busy!.id);
      const error = await rejection(sut.holdSeats('u1', concertId, [free!.id, busy!.id]));
      expect(error).toBeInstanceOf(SeatAlreadyReservedError);
      expect(free!.status).toBe('AVAILABLE');
      expect(repo.reservations.size).toBe(0);
    });

    it('treats a hold as live until the very instant it expires', async () => {
      const [seat] = repo.addSeats(concertId, 1);
      repo.addHold('u2', seat!, { expiresInSeconds: 1 });
      repo.advanceSeconds(0.999);
      await expect(sut.holdSeats('u1', concertId, [seat!.id])).rejects.toBeInstanceOf(
        SeatAlreadyReservedError,
      );
      repo.advanceSeconds(0.001);
      await expect(sut.holdSeats('u1', concertId, [seat!.id])).resolves.toHaveLength(1);
    });

    it('books a seat whose hold lapsed and marks the old reservation EXPIRED', async () => {
      const [seat] = repo.addSeats(concertId, 1);
      const old = repo.addHold('u2', seat!, { expiresInSeconds: 10 });
      repo.advanceSeconds(10);

      const [hold] = await sut.holdSeats('u1', concertId, [seat!.id]);

      expect(old.status).toBe('EXPIRED');
      expect(repo.reservation(hold!.id)).toMatchObject({ userId: 'u1', status: 'PENDING' });
      expect(seat!.heldUntil).toEqual(hold!.expiresAt);
    });

    it('caps the user’s live holds in the concert, not counting lapsed, paid or other concerts’ holds', async () => {
      const seats = repo.addSeats(concertId, 8);
      const [elsewhere] = repo.addSeats('other-concert', 1);
      repo.addHold('u1', seats[0]!);
      repo.addHold('u1', seats[1]!);
      repo.addHold('u1', seats[2]!, { expiresInSeconds: -1 });
      repo.addHold('u1', seats[3]!, { status: 'CONFIRMED' });
      repo.addHold('u1', elsewhere!);

      const error = await rejection(
        sut.holdSeats('u1', concertId, [seats[4]!.id, seats[5]!.id, seats[6]!.id]),
      );
      expect(error).toBeInstanceOf(HoldLimitExceededError);
      expect((error as HoldLimitExceededError).details).toEqual({ limit: 4, held: 2, requested: 3 });
      expect(seats[4]!.status).toBe('AVAILABLE');

      await expect(sut.holdSeats('u1', concertId, [seats[4]!.id, seats[5]!.id])).resolves.toHaveLength(2);
    });
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

  describe('lockPayable', () => {
    it('locks the seats in id order, then the reservations, and returns them in the order asked', async () => {
      const [a, b] = repo.addSeats(concertId, 2, { ids: ['seat-b', 'seat-a'] });
      const first = repo.addHold('u1', a!);
      const second = repo.addHold('u1', b!);

      const payable = await sut.lockPayable(FAKE_TX, 'u1', [first.id, second.id]);

      expect(payable.map((reservation) => reservation.id)).toEqual([first.id, second.id]);
      expect(locks.slice(0, 2)).toEqual(['seat:seat-a', 'seat:seat-b']);
      expect(locks.slice(2).sort()).toEqual([`reservation:${first.id}`, `reservation:${second.id}`].sort());
    });

    it('judges unknown (404), then another user’s (403), then paid (409), then lapsed (410)', async () => {
      const seats = repo.addSeats(concertId, 4);
      const foreign = repo.addHold('u2', seats[0]!).id;
      const paid = repo.addHold('u1', seats[1]!, { status: 'CONFIRMED' }).id;
      const lapsed = repo.addHold('u1', seats[2]!, { expiresInSeconds: 0 }).id;
      const live = repo.addHold('u1', seats[3]!).id;
      const unknown = randomUUID();

      const attempt = (ids: string[]) => rejection(sut.lockPayable(FAKE_TX, 'u1', ids));
      expect(await attempt([live, lapsed, paid, foreign, unknown])).toEqual(
        new ReservationNotFoundError([unknown]),
      );
      expect(await attempt([live, lapsed, paid, foreign])).toEqual(new ReservationForbiddenError([foreign]));
      expect(await attempt([live, lapsed, paid])).toEqual(new ReservationAlreadyPaidError([paid]));
      expect(await attempt([live, lapsed])).toEqual(new ReservationExpiredError([lapsed]));
      await expect(sut.lockPayable(FAKE_TX, 'u1', [live])).resolves.toHaveLength(1);
    });

    it('refuses a cancelled reservation as expired', async () => {
      const [seat] = repo.addSeats(concertId, 1);
      const cancelled = repo.addHold('u1', seat!, { status: 'CANCELLED' });
      await expect(sut.lockPayable(FAKE_TX, 'u1', [cancelled.id])).rejects.toBeInstanceOf(
        ReservationExpiredError,
      );
    });
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
