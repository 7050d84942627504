import { randomUUID } from 'node:crypto';
import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryIdempotencyRepository } from '../../test/fakes/in-memory-idempotency.repository.js';
import { InMemoryPaymentsRepository } from '../../test/fakes/in-memory-payments.repository.js';
import { InMemoryPointsRepository } from '../../test/fakes/in-memory-points.repository.js';
import { InMemoryQueueWindows } from '../../test/fakes/in-memory-queue-windows.js';
import {
  InMemoryReservationsRepository,
  type StoredSeat,
} from '../../test/fakes/in-memory-reservations.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import type { IdempotencyRepository } from '../common/idempotency/idempotency.repository.js';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import { InsufficientPointsError } from '../points/points.errors.js';
import type { PointsRepository } from '../points/points.repository.js';
import { PointsService } from '../points/points.service.js';
import type { TransactionRunner, Tx } from '../prisma/transaction-runner.js';
import {
  ReservationAlreadyPaidError,
  ReservationExpiredError,
  ReservationForbiddenError,
  ReservationNotFoundError,
} from '../reservations/reservations.errors.js';
import type { ReservationsRepository } from '../reservations/reservations.repository.js';
import { ReservationsService } from '../reservations/reservations.service.js';
import { MAX_RESERVATIONS_PER_PAYMENT } from './payment-limits.js';
import { InvalidPaymentRequestError, PaymentNotFoundError } from './payments.errors.js';
import type { PaymentsRepository } from './payments.repository.js';
import { PaymentsService } from './payments.service.js';

/** Records the wallet lock (the conditional debit) in the shared lock log. */
class RecordingPointsRepository extends InMemoryPointsRepository {
  constructor(
    balances: Record<string, number>,
    private readonly locks: string[],
  ) {
    super(balances);
  }

  override async debitIfEnough(tx: Tx, userId: string, amount: number): Promise<number | null> {
    this.locks.push(`wallet:${userId}`);
    return super.debitIfEnough(tx, userId, amount);
  }
}

describe(PaymentsService.name, () => {
  let locks: string[];
  let reservations: InMemoryReservationsRepository;
  let wallets: RecordingPointsRepository;
  let payments: InMemoryPaymentsRepository;
  let queue: InMemoryQueueWindows;
  let concertId: string;
  let sut: PaymentsService;

  beforeEach(() => {
    locks = [];
    reservations = new InMemoryReservationsRepository(locks);
    wallets = new RecordingPointsRepository({ u1: 50_000, u2: 50_000 }, locks);
    payments = new InMemoryPaymentsRepository();
    queue = new InMemoryQueueWindows(locks);
    const config = testConfig();
    const runner = fake<TransactionRunner>(new FakeTransactionRunner());
    concertId = randomUUID();
    const idempotency = new IdempotencyService(
      FAKE_PRISMA,
      runner,
      fake<IdempotencyRepository>(new InMemoryIdempotencyRepository()),
    );
    const reservationsService = new ReservationsService(
      FAKE_PRISMA,
      runner,
      fake<ReservationsRepository>(reservations),
      config,
    );
    const points = new PointsService(FAKE_PRISMA, fake<PointsRepository>(wallets), idempotency, config);
    sut = new PaymentsService(
      FAKE_PRISMA,
      fake<PaymentsRepository>(payments),
      reservationsService,
      points,
      queue.asQueueService(),
      idempotency,
    );
    queue.openWindow('u1', concertId);
  });

  const holdsOf = (userId: string, seats: StoredSeat[], options: { expiresInSeconds?: number } = {}) =>
    seats.map((seat) => reservations.addHold(userId, seat, options).id);

  describe('pay', () => {
    it('debits the total, confirms the reservations, sells the seats and ends the window', async () => {
      const seats = [
        ...reservations.addSeats(concertId, 1, { price: 12_000 }),
        ...reservations.addSeats(concertId, 1, { price: 8_000 }),
      ];
      const ids = holdsOf('u1', seats);

      const receipt = await sut.pay('u1', ids);

      expect(receipt).toEqual({
        paymentId: expect.any(String),
        reservationIds: ids,
        totalAmount: 20_000,
        status: 'COMPLETED',
        createdAt: expect.any(String),
      });
      expect(wallets.balanceOf('u1')).toBe(30_000);
      expect(wallets.ledgerOf('u1')).toMatchObject([
        { type: 'PAYMENT', amount: -20_000, balanceAfter: 30_000, paymentId: receipt.paymentId },
      ]);
      expect(
        ids.map((id) => [reservations.reservation(id).status, reservations.reservation(id).paymentId]),
      ).toEqual([
        ['CONFIRMED', receipt.paymentId],
        ['CONFIRMED', receipt.paymentId],
      ]);
      expect(seats.map((seat) => [seat.status, seat.heldUntil])).toEqual([
        ['SOLD', null],
        ['SOLD', null],
      ]);
      expect(payments.payments.get(receipt.paymentId)).toMatchObject({ userId: 'u1', totalAmount: 20_000 });
      expect(queue.completed).toEqual([{ userId: 'u1', concertId }]);
    });

    it('locks seats, then reservations, then the wallet, then each concert’s queue in a fixed order', async () => {
      const seats = [
        ...reservations.addSeats(concertId, 1, { ids: ['seat-2'] }),
        ...reservations.addSeats('concert-b', 1, { ids: ['seat-1'] }),
        ...reservations.addSeats('concert-a', 1, { ids: ['seat-3'] }),
      ];
      const ids = holdsOf('u1', seats);

      await sut.pay('u1', ids);

      const kinds = locks.map((lock) => lock.split(':')[0]);
      expect(kinds).toEqual([
        'seat',
        'seat',
        'seat',
        'reservation',
        'reservation',
        'reservation',
        'wallet',
        'queue',
        'queue',
        'queue',
      ]);
      expect(locks.slice(0, 3)).toEqual(['seat:seat-1', 'seat:seat-2', 'seat:seat-3']);
      expect(locks.slice(7)).toEqual([concertId, 'concert-a', 'concert-b'].sort().map((id) => `queue:${id}`));
    });

    it.each([
      ['no reservations', []],
      [
        `more than ${MAX_RESERVATIONS_PER_PAYMENT} reservations`,
        Array.from({ length: MAX_RESERVATIONS_PER_PAYMENT + 1 }, () => randomUUID()),
      ],
      ['a repeated reservation', ['r1', 'r1']],
    ])('refuses %s before touching anything', async (_case, ids) => {
      await expect(sut.pay('u1', ids)).rejects.toBeInstanceOf(InvalidPaymentRequestError);
      expect(locks).toEqual([]);
    });

    it('answers in the contract’s order, charges nothing and changes nothing', async () => {
      const seats = reservations.addSeats(concertId, 4);
      const [live] = holdsOf('u1', [seats[0]!]);
      const [lapsed] = holdsOf('u1', [seats[1]!], { expiresInSeconds: 0 });
      const paid = reservations.addHold('u1', seats[2]!, { status: 'CONFIRMED' }).id;
      const [foreign] = holdsOf('u2', [seats[3]!]);
      const unknown = randomUUID();

      await expect(sut.pay('u1', [live!, lapsed!, paid, foreign!, unknown])).rejects.toBeInstanceOf(
        ReservationNotFoundError,
      );
      await expect(sut.pay('u1', [live!, lapsed!, paid, foreign!])).rejects.toBeInstanceOf(
        ReservationForbiddenError,
      );
      await expect(sut.pay('u1', [live!, lapsed!, paid])).rejects.toBeInstanceOf(ReservationAlreadyPaidError);
      await expect(sut.pay('u1', [live!, lapsed!])).rejects.toBeInstanceOf(ReservationExpiredError);

      expect(wallets.balanceOf('u1')).toBe(50_000);
      expect(wallets.ledgerOf('u1')).toEqual([]);
      expect(payments.payments.size).toBe(0);
      expect(reservations.reservation(live!).status).toBe('PENDING');
      expect(queue.completed).toEqual([]);
    });

    it('refuses a debit the balance does not cover and leaves the holds pending and the window open', async () => {
      const seats = reservations.addSeats(concertId, 2, { price: 25_001 });
      const ids = holdsOf('u1', seats);

      const error = await sut.pay('u1', ids).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(InsufficientPointsError);
      expect((error as InsufficientPointsError).details).toEqual({ balance: 50_000, required: 50_002 });
      expect(wallets.balanceOf('u1')).toBe(50_000);
      expect(ids.map((id) => reservations.reservation(id).status)).toEqual(['PENDING', 'PENDING']);
      expect(seats.map((seat) => seat.status)).toEqual(['HELD', 'HELD']);
      expect(queue.completed).toEqual([]);
    });

    it('pays seats that cost nothing without a ledger entry', async () => {
      const ids = holdsOf('u1', reservations.addSeats(concertId, 1, { price: 0 }));
      await expect(sut.pay('u1', ids)).resolves.toMatchObject({ totalAmount: 0 });
      expect(wallets.ledgerOf('u1')).toEqual([]);
      expect(reservations.reservation(ids[0]!).status).toBe('CONFIRMED');
    });

    it('returns the stored receipt for a retried Idempotency-Key and charges once', async () => {
      const ids = holdsOf('u1', reservations.addSeats(concertId, 1, { price: 10_000 }));
      const first = await sut.pay('u1', ids, 'key-1');
      await expect(sut.pay('u1', ids, 'key-1')).resolves.toEqual(first);
      expect(wallets.balanceOf('u1')).toBe(40_000);
      await expect(sut.pay('u1', ids, 'key-2')).rejects.toBeInstanceOf(ReservationAlreadyPaidError);
    });
  });

  describe('getPayment', () => {
    it('shows the payer their payment with its reservations, and nobody else', async () => {
      const ids = holdsOf('u1', reservations.addSeats(concertId, 2, { price: 1_000 }));
      const receipt = await sut.pay('u1', ids);

      const details = await sut.getPayment('u1', receipt.paymentId);
      expect(details).toMatchObject({ ...receipt, reservationIds: ids });
      expect(details.reservations.map((reservation) => reservation.status)).toEqual([
        'CONFIRMED',
        'CONFIRMED',
      ]);

      await expect(sut.getPayment('u2', receipt.paymentId)).rejects.toBeInstanceOf(PaymentNotFoundError);
      await expect(sut.getPayment('u1', randomUUID())).rejects.toBeInstanceOf(PaymentNotFoundError);
    });
  });
});
