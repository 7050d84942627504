import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryConcertsRepository } from '../../test/fakes/in-memory-concerts.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import type { ConcertsRepository } from './concerts.repository.js';
import {
  ConcertDateInPastError,
  ConcertNotFoundError,
  InvalidSalesCloseAtError,
  InvalidSalesOpenAtError,
  InvalidSeatLayoutError,
  NoConcertChangesError,
  SalesAlreadyOpenError,
  SalesClosedError,
} from './concerts.errors.js';
import { ConcertsService, type NewConcertRequest } from './concerts.service.js';
import type { QueueState, QueueStateReader } from './queue-state-reader.js';

class FakeQueueStateReader implements QueueStateReader {
  readonly states = new Map<string, QueueState>();
  readonly calls: { userId: string; concertIds: string[] }[] = [];

  async forUser(userId: string, concertIds: string[]): Promise<Map<string, QueueState>> {
    this.calls.push({ userId, concertIds });
    return new Map([...this.states].filter(([concertId]) => concertIds.includes(concertId)));
  }
}

describe(ConcertsService.name, () => {
  let repo: InMemoryConcertsRepository;
  let queueStates: FakeQueueStateReader;
  let sut: ConcertsService;

  const inHours = (hours: number) => new Date(repo.now.getTime() + hours * 3_600_000).toISOString();
  const aRequest = (overrides: Partial<NewConcertRequest> = {}): NewConcertRequest => ({
    name: 'Summer Rock Fest',
    venue: 'Olympic Hall',
    startsAt: inHours(24),
    layout: { rows: [{ label: 'A', seats: 3, price: 1000 }] },
    ...overrides,
  });

  beforeEach(() => {
    repo = new InMemoryConcertsRepository();
    queueStates = new FakeQueueStateReader();
    sut = new ConcertsService(
      fake<TransactionRunner>(new FakeTransactionRunner()),
      // Reads outside a transaction hand the client to the repository as `tx`; the fake ignores it.
      FAKE_PRISMA,
      fake<ConcertsRepository>(repo),
      testConfig({ QUEUE_ACTIVE_CAPACITY: 9, QUEUE_WINDOW_SECONDS: 45, QUEUE_CLAIM_SECONDS: 12 }),
      queueStates,
    );
  });

  describe('createConcert', () => {
    it('creates the concert, its queue and its seats, with queue settings from the configuration by default', async () => {
      const concert = await sut.createConcert(aRequest());
      expect(concert).toMatchObject({
        salesState: 'ON_SALE',
        queueCapacity: 9,
        queueWindowSeconds: 45,
        queueClaimSeconds: 12,
        seatCount: 3,
      });
      expect(repo.queues.has(concert.id)).toBe(true);
      expect(repo.seats.get(concert.id)!.map((seat) => seat.number)).toEqual(['A1', 'A2', 'A3']);
    });

    it('keeps queue settings given in the request', async () => {
      const concert = await sut.createConcert(
        aRequest({ queueCapacity: 2, queueWindowSeconds: 600, queueClaimSeconds: 20 }),
      );
      expect(concert).toMatchObject({ queueCapacity: 2, queueWindowSeconds: 600, queueClaimSeconds: 20 });
    });

    it('refuses a start time that is not in the future and creates nothing', async () => {
      await expect(sut.createConcert(aRequest({ startsAt: repo.now.toISOString() }))).rejects.toBeInstanceOf(
        ConcertDateInPastError,
      );
      expect(repo.concerts.size).toBe(0);
      expect(repo.queues.size).toBe(0);
    });

    it('keeps a salesCloseAt before the start, and refuses one after the start or in the past', async () => {
      const closeAt = inHours(20);
      const concert = await sut.createConcert(aRequest({ salesCloseAt: closeAt }));
      expect(concert.salesCloseAt.toISOString()).toBe(closeAt);
      for (const salesCloseAt of [inHours(25), inHours(-1)]) {
        await expect(sut.createConcert(aRequest({ salesCloseAt }))).rejects.toBeInstanceOf(
          InvalidSalesCloseAtError,
        );
      }
      expect(repo.concerts.size).toBe(1);
    });

    it('refuses a seat map with duplicate numbers before writing anything', async () => {
      const request = aRequest({
        layout: undefined,
        seats: [
          { number: 'A1', price: 1 },
          { number: 'A1', price: 2 },
        ],
      });
      await expect(sut.createConcert(request)).rejects.toBeInstanceOf(InvalidSeatLayoutError);
      expect(repo.concerts.size).toBe(0);
    });
  });

  describe('getConcertStats', () => {
    it('counts a hold that has expired as available', async () => {
      const concert = repo.add({
        seats: [
          { status: 'SOLD' },
          { status: 'HELD', heldUntil: new Date(repo.now.getTime() + 60_000) },
          { status: 'HELD', heldUntil: new Date(repo.now.getTime() - 1) },
          {},
        ],
      });
      expect(await sut.getConcertStats(concert.id)).toMatchObject({
        seatCount: 4,
        availableSeats: 2,
        heldSeats: 1,
        soldSeats: 1,
      });
    });

    it('throws ConcertNotFoundError for an unknown concert', async () => {
      await expect(sut.getConcertStats('missing')).rejects.toBeInstanceOf(ConcertNotFoundError);
    });
  });

  describe('createConcert with an opening', () => {
    it('creates it UPCOMING with the default pre-queue time, and refuses an opening not before the close', async () => {
      await expect(sut.createConcert(aRequest({ salesOpenAt: inHours(2) }))).resolves.toMatchObject({
        salesState: 'UPCOMING',
        salesOpenAt: new Date(inHours(2)),
        preQueueOpensSeconds: 1800,
      });
      await expect(sut.createConcert(aRequest({ salesOpenAt: inHours(24) }))).rejects.toBeInstanceOf(
        InvalidSalesOpenAtError,
      );
      await expect(sut.createConcert(aRequest({ salesOpenAt: inHours(-1) }))).rejects.toBeInstanceOf(
        InvalidSalesOpenAtError,
      );
    });
  });

  describe('changeConcertSettings', () => {
    it('changes the given settings and keeps the others', async () => {
      const concert = repo.add({ queueCapacity: 5, queueWindowSeconds: 300 });
      const changed = await sut.changeConcertSettings(concert.id, { salesState: 'PAUSED' });
      expect(changed).toMatchObject({
        salesState: 'PAUSED',
        queueCapacity: 5,
        queueWindowSeconds: 300,
        seatCount: 1,
      });
    });

    it('closes: CLOSED stored and the holds released, and CLOSED is final', async () => {
      const concert = repo.add({ seats: [{ status: 'HELD', heldUntil: new Date(inHours(1)) }, {}] });
      await expect(sut.changeConcertSettings(concert.id, { salesState: 'CLOSED' })).resolves.toMatchObject({
        salesState: 'CLOSED',
      });
      expect(repo.seats.get(concert.id)!.map((seat) => seat.status)).toEqual(['AVAILABLE', 'AVAILABLE']);
      for (const change of [{ salesState: 'ON_SALE' as const }, { salesCloseAt: inHours(2) }]) {
        await expect(sut.changeConcertSettings(concert.id, change)).rejects.toBeInstanceOf(SalesClosedError);
      }
      await expect(sut.changeConcertSettings(concert.id, { queueCapacity: 3 })).resolves.toMatchObject({
        salesState: 'CLOSED',
        queueCapacity: 3,
      });
    });

    it('sets an opening: UPCOMING until drawn, only before anyone queued and before the close', async () => {
      const concert = repo.add({ startsAt: new Date(inHours(10)) });
      await expect(
        sut.changeConcertSettings(concert.id, { salesOpenAt: inHours(11) }),
      ).rejects.toBeInstanceOf(InvalidSalesOpenAtError);
      await expect(
        sut.changeConcertSettings(concert.id, { salesOpenAt: inHours(-1) }),
      ).rejects.toBeInstanceOf(InvalidSalesOpenAtError);
      await expect(sut.changeConcertSettings(concert.id, { salesOpenAt: inHours(2) })).resolves.toMatchObject(
        {
          salesState: 'UPCOMING',
          salesOpenAt: new Date(inHours(2)),
        },
      );
      // Moved again while still upcoming; no longer once drawn.
      await expect(sut.changeConcertSettings(concert.id, { salesOpenAt: inHours(3) })).resolves.toMatchObject(
        {
          salesOpenAt: new Date(inHours(3)),
        },
      );
      repo.drawn.add(concert.id);
      await expect(sut.changeConcertSettings(concert.id, { salesOpenAt: inHours(4) })).rejects.toBeInstanceOf(
        SalesAlreadyOpenError,
      );
      const queued = repo.add({ startsAt: new Date(inHours(10)) });
      repo.entered.add(queued.id);
      await expect(sut.changeConcertSettings(queued.id, { salesOpenAt: inHours(2) })).rejects.toBeInstanceOf(
        SalesAlreadyOpenError,
      );
      const closed = repo.add({ salesState: 'CLOSED' });
      await expect(sut.changeConcertSettings(closed.id, { salesOpenAt: inHours(2) })).rejects.toBeInstanceOf(
        SalesClosedError,
      );
    });

    it('treats a concert past its sales close time as CLOSED', async () => {
      const concert = repo.add({ salesCloseAt: new Date(inHours(-1)) });
      await expect(sut.changeConcertSettings(concert.id, { salesState: 'PAUSED' })).rejects.toBeInstanceOf(
        SalesClosedError,
      );
    });

    it('moves salesCloseAt only to a time in the future and not after the start', async () => {
      const concert = repo.add({ startsAt: new Date(inHours(10)) });
      for (const salesCloseAt of [inHours(11), inHours(-1)]) {
        await expect(sut.changeConcertSettings(concert.id, { salesCloseAt })).rejects.toBeInstanceOf(
          InvalidSalesCloseAtError,
        );
      }
      const changed = await sut.changeConcertSettings(concert.id, { salesCloseAt: inHours(5) });
      expect(changed.salesCloseAt.toISOString()).toBe(inHours(5));
    });

    it('refuses a change with no fields', async () => {
      const concert = repo.add();
      await expect(sut.changeConcertSettings(concert.id, {})).rejects.toBeInstanceOf(NoConcertChangesError);
    });

    it('throws ConcertNotFoundError for an unknown concert', async () => {
      await expect(sut.changeConcertSettings('missing', { queueCapacity: 3 })).rejects.toBeInstanceOf(
        ConcertNotFoundError,
      );
    });
  });

  describe('closeLapsedSales', () => {
    it('closes the concerts whose sales close time has passed, and only those', async () => {
      const lapsed = repo.add({ salesCloseAt: new Date(inHours(-1)), seats: [{ status: 'HELD' }] });
      const open = repo.add();
      await expect(sut.closeLapsedSales(250)).resolves.toEqual({ closed: 1, released: 1, ended: 0 });
      expect(repo.concerts.get(lapsed.id)!.salesState).toBe('CLOSED');
      expect(repo.concerts.get(open.id)!.salesState).toBe('ON_SALE');
      await expect(sut.closeLapsedSales(250)).resolves.toEqual({ closed: 0, released: 0, ended: 0 });
    });
  });

  describe('listConcertsOnSale', () => {
    it("lists upcoming concerts on sale or paused, soonest first, with the caller's queue state where there is one", async () => {
      const later = repo.add({ startsAt: new Date(inHours(48)) });
      const sooner = repo.add({ startsAt: new Date(inHours(2)) });
      const paused = repo.add({ salesState: 'PAUSED', startsAt: new Date(inHours(72)) });
      repo.add({ salesState: 'CLOSED' });
      repo.add({ startsAt: new Date(inHours(-1)) });
      const waiting: QueueState = { queuePosition: 42, status: 'WAITING', estimatedWaitTime: '10 minutes' };
      queueStates.states.set(later.id, waiting);

      const listed = await sut.listConcertsOnSale('user-1');

      expect(listed.map((concert) => [concert.id, concert.queue])).toEqual([
        [sooner.id, undefined],
        [later.id, waiting],
        [paused.id, undefined],
      ]);
      expect(queueStates.calls).toEqual([{ userId: 'user-1', concertIds: [sooner.id, later.id, paused.id] }]);
    });
  });

  describe('listAvailableDates', () => {
    it('leaves out sold-out concerts and keeps those whose only free seat is an expired hold', async () => {
      const soldOut = repo.add({ seats: [{ status: 'SOLD' }] });
      const lapsedHold = repo.add({
        seats: [{ status: 'HELD', heldUntil: new Date(repo.now.getTime() - 1) }],
      });
      const liveHold = repo.add({ seats: [{ status: 'HELD', heldUntil: new Date(repo.now.getTime() + 1) }] });
      const ids = (await sut.listAvailableDates()).map((concert) => concert.id);
      expect(ids).toContain(lapsedHold.id);
      expect(ids).not.toContain(soldOut.id);
      expect(ids).not.toContain(liveHold.id);
    });
  });
});
