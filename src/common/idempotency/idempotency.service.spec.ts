import { FAKE_PRISMA, FakeTransactionRunner, FAKE_TX } from '../../../test/fakes/fake-transaction-runner.js';
import { fake } from '../../../test/fakes/fake.js';
import { InMemoryIdempotencyRepository } from '../../../test/fakes/in-memory-idempotency.repository.js';
import type { TransactionRunner } from '../../prisma/transaction-runner.js';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidIdempotencyKeyError,
} from './idempotency.errors.js';
import type { IdempotencyRepository } from './idempotency.repository.js';
import {
  ABANDONED_AFTER_SECONDS,
  DELETE_BATCH_SIZE,
  IdempotencyService,
  type IdempotentRequest,
} from './idempotency.service.js';
import { hashRequest } from './request-hash.js';

describe(IdempotencyService.name, () => {
  let keys: InMemoryIdempotencyRepository;
  let sut: IdempotencyService;
  let runs: number;
  const charge = (request: IdempotentRequest) => sut.run(request, async () => ({ balance: 100 * ++runs }));
  const aRequest = (overrides: Partial<IdempotentRequest> = {}): IdempotentRequest => ({
    userId: 'u1',
    scope: 'points.charge',
    key: 'key-1',
    request: { amount: 100 },
    ...overrides,
  });

  beforeEach(() => {
    runs = 0;
    keys = new InMemoryIdempotencyRepository();
    sut = new IdempotencyService(
      FAKE_PRISMA,
      fake<TransactionRunner>(new FakeTransactionRunner()),
      fake<IdempotencyRepository>(keys),
    );
  });

  it('runs the operation in a transaction and stores nothing when there is no key', async () => {
    const seen: unknown[] = [];
    await expect(sut.run(aRequest({ key: undefined }), async (tx) => seen.push(tx))).resolves.toBe(1);
    expect(seen).toEqual([FAKE_TX]);
    expect(keys.size).toBe(0);
  });

  it('runs once and answers a retry with the stored result', async () => {
    await expect(charge(aRequest())).resolves.toEqual({ balance: 100 });
    await expect(charge(aRequest())).resolves.toEqual({ balance: 100 });
    expect(runs).toBe(1);
    expect(keys.row({ userId: 'u1', scope: 'points.charge', key: 'key-1' })).toMatchObject({
      responseStatus: 200,
    });
  });

  it('treats a retry whose fields come in another order as the same request', async () => {
    await sut.run(aRequest({ request: { a: 1, b: [1, 2] } }), async () => ++runs);
    await sut.run(aRequest({ request: { b: [1, 2], a: 1 } }), async () => ++runs);
    expect(runs).toBe(1);
  });

  it('rejects the same key with a different request', async () => {
    await charge(aRequest());
    await expect(charge(aRequest({ request: { amount: 200 } }))).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
    expect(runs).toBe(1);
  });

  it('keeps keys apart per user and per scope', async () => {
    await charge(aRequest());
    await charge(aRequest({ userId: 'u2' }));
    await charge(aRequest({ scope: 'payment' }));
    expect(runs).toBe(3);
  });

  it('answers 409 while the first attempt is still in progress', async () => {
    const inFlight = sut.run(aRequest(), async () => {
      await expect(charge(aRequest())).rejects.toBeInstanceOf(IdempotencyKeyInUseError);
      return 'first';
    });
    await expect(inFlight).resolves.toBe('first');
    expect(runs).toBe(0);
  });

  it('releases the key when the operation fails, so a retry runs again', async () => {
    await expect(sut.run(aRequest(), async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(keys.size).toBe(0);
    await expect(charge(aRequest())).resolves.toEqual({ balance: 100 });
  });

  it('takes over an attempt abandoned for longer than the limit', async () => {
    const id = { userId: 'u1', scope: 'points.charge', key: 'key-1' };
    await keys.claim(FAKE_TX, id, hashRequest('points.charge', { amount: 100 }), ABANDONED_AFTER_SECONDS);
    keys.advanceSeconds(ABANDONED_AFTER_SECONDS - 1);
    await expect(charge(aRequest())).rejects.toBeInstanceOf(IdempotencyKeyInUseError);
    keys.advanceSeconds(2);
    await expect(charge(aRequest())).resolves.toEqual({ balance: 100 });
    expect(keys.row(id)?.completedAt).not.toBeNull();
  });

  it('rolls back an attempt whose key was taken over while it ran, and leaves the new claim in place', async () => {
    const id = { userId: 'u1', scope: 'points.charge', key: 'key-1' };
    const slow = sut.run(aRequest(), async () => {
      keys.advanceSeconds(ABANDONED_AFTER_SECONDS + 1);
      await keys.claim(FAKE_TX, id, hashRequest('points.charge', { amount: 100 }), ABANDONED_AFTER_SECONDS);
      return 'late';
    });
    await expect(slow).rejects.toBeInstanceOf(IdempotencyKeyInUseError);
    expect(keys.row(id)).toMatchObject({ completedAt: null });
  });

  it('claims again when the conflicting attempt released the key before it could be read', async () => {
    class KeyReleasedAfterConflict extends InMemoryIdempotencyRepository {
      private conflicted = false;
      override async claim(
        ...args: Parameters<InMemoryIdempotencyRepository['claim']>
      ): Promise<Date | null> {
        if (this.conflicted) return super.claim(...args);
        this.conflicted = true;
        return null;
      }
    }
    sut = new IdempotencyService(
      FAKE_PRISMA,
      fake<TransactionRunner>(new FakeTransactionRunner()),
      fake<IdempotencyRepository>(new KeyReleasedAfterConflict()),
    );
    await expect(charge(aRequest())).resolves.toEqual({ balance: 100 });
  });

  it.each([
    ['empty', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a control character', 'key\u0000'],
    ['a non-ASCII character', 'clé'],
  ])('rejects a key that is %s without running the operation', async (_label, key) => {
    await expect(charge(aRequest({ key }))).rejects.toBeInstanceOf(InvalidIdempotencyKeyError);
    expect(runs).toBe(0);
    expect(keys.size).toBe(0);
  });

  it('accepts a key of 255 printable characters', async () => {
    await expect(charge(aRequest({ key: '~'.repeat(255) }))).resolves.toEqual({ balance: 100 });
  });

  it('deletes keys older than 24 hours in batches and keeps the rest', async () => {
    const old = DELETE_BATCH_SIZE * 2 + 5;
    for (let i = 0; i < old; i++) await charge(aRequest({ key: `old-${i}` }));
    keys.advanceSeconds(24 * 3600 + 1);
    await charge(aRequest({ key: 'fresh' }));

    await expect(sut.deleteExpired()).resolves.toBe(old);
    expect(keys.size).toBe(1);
    expect(keys.row({ userId: 'u1', scope: 'points.charge', key: 'fresh' })).toBeDefined();
  });
});
