import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { EventMetrics } from '../metrics/event-metrics.js';
import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import type { QueueExits } from '../queue/queue-exits.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryIdempotencyRepository } from '../../test/fakes/in-memory-idempotency.repository.js';
import { InMemoryPaymentsRepository } from '../../test/fakes/in-memory-payments.repository.js';
import { InMemoryReservationsRepository } from '../../test/fakes/in-memory-reservations.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import type { IdempotencyRepository } from '../common/idempotency/idempotency.repository.js';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import { SalesClosedError } from '../concerts/concerts.errors.js';
import { InsufficientPointsError } from '../points/points.errors.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import type { QueueService } from '../queue/queue.service.js';
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
import {
  PAY_RESERVATIONS_OUTCOMES,
  type PaymentOutcome,
  type PaymentRow,
  type PaymentsRepository,
  type PayReservationsOutcome,
} from './payments.repository.js';
import { PaymentsService } from './payments.service.js';

// The payment rules themselves are the pay_reservations SQL function's, tested against
// PostgreSQL in test/e2e/sql-functions/ and through HTTP; here, what the service asks and how it answers.
describe(PaymentsService.name, () => {
  let reservations: InMemoryReservationsRepository;
  let payments: InMemoryPaymentsRepository;
  let sut: PaymentsService;
  let admitsAsked: string[][];

  const aPayment = (overrides: Partial<PaymentRow> = {}): PaymentRow => ({
    id: randomUUID(),
    userId: 'u1',
    totalAmount: 20_000,
    status: 'COMPLETED',
    createdAt: new Date('2025-01-01T10:00:00.123Z'),
    ...overrides,
  });

  beforeEach(() => {
    reservations = new InMemoryReservationsRepository();
    admitsAsked = [];
    payments = new InMemoryPaymentsRepository();
    const runner = fake<TransactionRunner>(new FakeTransactionRunner());
    const idempotency = new IdempotencyService(
      FAKE_PRISMA,
      runner,
      fake<IdempotencyRepository>(new InMemoryIdempotencyRepository()),
    );
    const reservationsService = new ReservationsService(
      FAKE_PRISMA,
      runner,
      fake<ReservationsRepository>(reservations),
      testConfig(),
      new EventMetrics(new Registry()),
      fake<QueueExits>({ latest: () => Promise.resolve(null) }),
    );
    sut = new PaymentsService(
      FAKE_PRISMA,
      fake<PaymentsRepository>(payments),
      reservationsService,
      idempotency,
      fake<Pick<QueueService, 'admitAfterPayment'>>({
        admitAfterPayment: (concertIds) => void admitsAsked.push(concertIds),
      }) as QueueService,
      new EventMetrics(new Registry()),
    );
  });

  describe('pay', () => {
    it('pays in one call outside any transaction of its own, and answers the receipt', async () => {
      const payment = aPayment();
      payments.payOutcome = { outcome: 'PAID', payment, concertIds: ['c1'] };
      const ids = [randomUUID(), randomUUID()];

      await expect(sut.pay('u1', ids)).resolves.toEqual({
        paymentId: payment.id,
        reservationIds: ids,
        totalAmount: 20_000,
        status: 'COMPLETED',
        createdAt: '2025-01-01T10:00:00.123Z',
      });
      expect(payments.payCalls).toEqual([{ on: 'pool', userId: 'u1', reservationIds: ids }]);
      // The payment ended the payer's window in c1: the next user is admitted after the commit.
      expect(admitsAsked).toEqual([['c1']]);
    });

    it.each([
      ['no reservations', []],
      [
        `more than ${MAX_RESERVATIONS_PER_PAYMENT} reservations`,
        Array.from({ length: MAX_RESERVATIONS_PER_PAYMENT + 1 }, () => randomUUID()),
      ],
      ['a repeated reservation', ['r1', 'r1']],
    ])('refuses %s without asking the database', async (_case, ids) => {
      await expect(sut.pay('u1', ids)).rejects.toBeInstanceOf(InvalidPaymentRequestError);
      expect(payments.payCalls).toEqual([]);
    });

    // One case per refusal the function can answer: the type makes a new outcome need one here.
    const refusals: {
      [K in Exclude<PayReservationsOutcome, 'PAID'>]: [
        PaymentOutcome & { outcome: K },
        new (...args: never[]) => Error,
        Record<string, unknown>,
      ];
    } = {
      RESERVATION_NOT_FOUND: [
        { outcome: 'RESERVATION_NOT_FOUND', reservationIds: ['r2'] },
        ReservationNotFoundError,
        { reservationIds: ['r2'] },
      ],
      RESERVATION_FORBIDDEN: [
        { outcome: 'RESERVATION_FORBIDDEN', reservationIds: ['r1'] },
        ReservationForbiddenError,
        { reservationIds: ['r1'] },
      ],
      SALES_CLOSED: [
        { outcome: 'SALES_CLOSED', reservationIds: ['r1', 'r2'] },
        SalesClosedError,
        { reservationIds: ['r1', 'r2'], salesState: 'CLOSED' },
      ],
      RESERVATION_ALREADY_PAID: [
        { outcome: 'RESERVATION_ALREADY_PAID', reservationIds: ['r1'] },
        ReservationAlreadyPaidError,
        { reservationIds: ['r1'] },
      ],
      RESERVATION_EXPIRED: [
        { outcome: 'RESERVATION_EXPIRED', reservationIds: ['r2'] },
        ReservationExpiredError,
        { reservationIds: ['r2'] },
      ],
      INSUFFICIENT_POINTS: [
        { outcome: 'INSUFFICIENT_POINTS', balance: 10, required: 20 },
        InsufficientPointsError,
        { balance: 10, required: 20 },
      ],
    };

    it('has a case for every outcome pay_reservations answers', () => {
      expect(['PAID', ...Object.keys(refusals)].sort()).toEqual([...PAY_RESERVATIONS_OUTCOMES].sort());
    });

    it.each(Object.values(refusals))(
      'answers %j with its domain error',
      async (outcome, errorClass, details) => {
        payments.payOutcome = outcome;
        const error = await sut.pay('u1', ['r1', 'r2']).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(errorClass);
        expect((error as { details?: unknown }).details).toEqual(details);
        expect(admitsAsked).toEqual([]);
      },
    );

    it('with an Idempotency-Key pays inside the key’s transaction, once, and replays the receipt', async () => {
      payments.payOutcome = { outcome: 'PAID', payment: aPayment(), concertIds: ['c1'] };
      const ids = [randomUUID()];

      const first = await sut.pay('u1', ids, 'key-1');
      await expect(sut.pay('u1', ids, 'key-1')).resolves.toEqual(first);

      expect(payments.payCalls).toEqual([{ on: 'transaction', userId: 'u1', reservationIds: ids }]);
      // After the key's transaction committed; the replay ended no window.
      expect(admitsAsked).toEqual([['c1']]);
    });

    it('with an Idempotency-Key frees the key when the payment is refused, so a retry runs again', async () => {
      const ids = [randomUUID()];
      payments.payOutcome = { outcome: 'INSUFFICIENT_POINTS', balance: 0, required: 20_000 };
      await expect(sut.pay('u1', ids, 'key-1')).rejects.toBeInstanceOf(InsufficientPointsError);

      payments.payOutcome = { outcome: 'PAID', payment: aPayment(), concertIds: ['c1'] };
      await expect(sut.pay('u1', ids, 'key-1')).resolves.toMatchObject({ status: 'COMPLETED' });
      expect(payments.payCalls).toHaveLength(2);
    });
  });

  describe('getPayment', () => {
    it('shows the payer their payment with its reservations, and nobody else', async () => {
      const seats = reservations.addSeats('concert-1', 2, { price: 1_000 });
      const held = seats.map((seat) => reservations.addHold('u1', seat, { status: 'CONFIRMED' }));
      const payment = aPayment({ totalAmount: 2_000 });
      for (const reservation of held) reservation.paymentId = payment.id;
      payments.payments.set(payment.id, payment);

      const details = await sut.getPayment('u1', payment.id);
      expect(details).toMatchObject({ paymentId: payment.id, totalAmount: 2_000, status: 'COMPLETED' });
      expect([...details.reservationIds].sort()).toEqual(held.map((reservation) => reservation.id).sort());
      expect(details.reservations.map((reservation) => reservation.status)).toEqual([
        'CONFIRMED',
        'CONFIRMED',
      ]);

      await expect(sut.getPayment('u2', payment.id)).rejects.toBeInstanceOf(PaymentNotFoundError);
      await expect(sut.getPayment('u1', randomUUID())).rejects.toBeInstanceOf(PaymentNotFoundError);
    });
  });
});
