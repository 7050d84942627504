import type { ConcertsRepository } from '../concerts/concerts.repository.js';
import type { QueueRepository } from '../queue/queue.repository.js';
import type { ReservationsRepository } from '../reservations/reservations.repository.js';
import type { PrismaService } from './prisma.service.js';
import { TransactionRunner, type Tx } from './transaction-runner.js';

/**
 * Compile-time checks, run by `npm run typecheck`: each `@ts-expect-error` fails the type check
 * if the line below it ever compiles, i.e. if a locking method accepted the root client.
 */
function lockingCallsNeedATransaction(
  prisma: PrismaService,
  tx: Tx,
  reservations: ReservationsRepository,
  concerts: ConcertsRepository,
  queue: QueueRepository,
): void {
  // @ts-expect-error row locks held by the root client end with the statement
  void reservations.lockSeats(prisma, []);
  // @ts-expect-error row locks held by the root client end with the statement
  void reservations.lockReservations(prisma, []);
  // @ts-expect-error the sales lock must last until the caller's commit
  void concerts.lockSales(prisma, 'c1');
  // @ts-expect-error lock_timeout set by the root client would end with its statement
  void queue.endEntriesAndRefill(prisma, 'c1', { lapsedWindows: true }, { lockWaitMs: 1 });

  void reservations.lockSeats(tx, []);
  void reservations.findOwners(prisma, []);
  void reservations.findOwners(tx, []);
  void queue.endEntriesAndRefill(prisma, 'c1', { lapsedWindows: true });
}

describe(TransactionRunner.name, () => {
  it('hands the callback the client of the interactive transaction it opened', async () => {
    const client = { inside: true };
    const prisma = {
      $transaction: (fn: (c: unknown) => Promise<unknown>, _options: unknown) => fn(client),
    } as unknown as PrismaService;

    await expect(new TransactionRunner(prisma).run(async (tx) => tx)).resolves.toBe(client);
    expect(lockingCallsNeedATransaction).toBeInstanceOf(Function);
  });
});
