import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { Registry } from 'prom-client';
import { EventMetrics } from '../metrics/event-metrics.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryIdempotencyRepository } from '../../test/fakes/in-memory-idempotency.repository.js';
import { InMemoryPointsRepository } from '../../test/fakes/in-memory-points.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import type { IdempotencyRepository } from '../common/idempotency/idempotency.repository.js';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import { BalanceLimitExceededError, InvalidAmountError } from './points.errors.js';
import type { PointsRepository } from './points.repository.js';
import { PointsService } from './points.service.js';

describe(PointsService.name, () => {
  let wallets: InMemoryPointsRepository;
  let sut: PointsService;

  beforeEach(() => {
    wallets = new InMemoryPointsRepository({ rich: 50_000 });
    const idempotency = new IdempotencyService(
      FAKE_PRISMA,
      fake<TransactionRunner>(new FakeTransactionRunner()),
      fake<IdempotencyRepository>(new InMemoryIdempotencyRepository()),
    );
    const config = testConfig({ POINTS_MAX_CHARGE: 10_000, POINTS_MAX_BALANCE: 60_000 });
    sut = new PointsService(
      FAKE_PRISMA,
      fake<PointsRepository>(wallets),
      idempotency,
      config,
      new EventMetrics(new Registry()),
    );
  });

  describe('getBalance', () => {
    it('is 0 for a user without a wallet, and does not create one', async () => {
      await expect(sut.getBalance('new')).resolves.toBe(0);
      expect(wallets.hasWallet('new')).toBe(false);
    });
  });

  describe('chargePoints', () => {
    it('creates the wallet on the first charge and records a CHARGE entry with the balance after it', async () => {
      await expect(sut.chargePoints('new', 700)).resolves.toEqual({ balance: 700, charged: 700 });
      await expect(sut.chargePoints('new', 300)).resolves.toEqual({ balance: 1000, charged: 300 });
      expect(wallets.ledgerOf('new')).toMatchObject([
        { type: 'CHARGE', amount: 700, balanceAfter: 700, paymentId: null },
        { type: 'CHARGE', amount: 300, balanceAfter: 1000, paymentId: null },
      ]);
    });

    it.each([0, -1, 1.5, Number.NaN, 10_001])(
      'rejects an amount of %p and writes nothing',
      async (amount) => {
        await expect(sut.chargePoints('rich', amount)).rejects.toBeInstanceOf(InvalidAmountError);
        expect(wallets.balanceOf('rich')).toBe(50_000);
        expect(wallets.ledgerOf('rich')).toHaveLength(0);
      },
    );

    it('charges up to exactly the balance limit', async () => {
      await expect(sut.chargePoints('rich', 10_000)).resolves.toEqual({ balance: 60_000, charged: 10_000 });
    });

    it('rejects a charge beyond the balance limit, with the numbers, and leaves the wallet alone', async () => {
      await sut.chargePoints('rich', 5_000);
      const error = await sut.chargePoints('rich', 5_001).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BalanceLimitExceededError);
      expect((error as BalanceLimitExceededError).details).toEqual({
        balance: 55_000,
        amount: 5_001,
        maxBalance: 60_000,
      });
      expect(wallets.balanceOf('rich')).toBe(55_000);
      expect(wallets.ledgerOf('rich')).toHaveLength(1);
    });

    it('charges once for a retried idempotency key and returns the same result', async () => {
      const first = await sut.chargePoints('rich', 1_000, 'retry-me');
      await expect(sut.chargePoints('rich', 1_000, 'retry-me')).resolves.toEqual(first);
      expect(wallets.balanceOf('rich')).toBe(51_000);
      expect(wallets.ledgerOf('rich')).toHaveLength(1);
    });
  });

  describe('getHistory', () => {
    it('pages through the ledger newest first and counts all of it', async () => {
      for (let amount = 1; amount <= 5; amount++) await sut.chargePoints('new', amount);
      const page = await sut.getHistory('new', 2, 2);
      expect(page).toMatchObject({ page: 2, limit: 2, total: 5 });
      expect(page.entries.map((entry) => entry.amount)).toEqual([3, 2]);
    });

    it('shows only the caller’s own entries', async () => {
      await sut.chargePoints('new', 1);
      await expect(sut.getHistory('rich', 1, 20)).resolves.toMatchObject({ entries: [], total: 0 });
    });
  });
});
