import { jest } from '@jest/globals';
import { Registry } from 'prom-client';
import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { fake } from '../../test/fakes/fake.js';
import { InMemoryQueueRepository } from '../../test/fakes/in-memory-queue.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import { ConcertNotFoundError, SalesClosedError, SalesPausedError } from '../concerts/concerts.errors.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import { QueueSnapshots, SNAPSHOT_MAX_AGE_MS } from './queue-snapshots.js';
import { QueueTickets } from './queue-ticket.js';
import { QueueEntryEndedError, QueueEntryNotFoundError } from './queue.errors.js';
import { QueueExits } from './queue-exits.js';
import type { QueueRepository } from './queue.repository.js';
import { QueueService } from './queue.service.js';

const CONCERT = 'c1';
const WINDOW_SECONDS = 300;
const CLAIM_SECONDS = 30;

describe(QueueService.name, () => {
  let repo: InMemoryQueueRepository;
  let tickets: QueueTickets;
  let sut: QueueService;
  /** The replica's clock: snapshots are refreshed by it. */
  let localNow: number;

  beforeEach(() => {
    localNow = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => localNow);
    repo = new InMemoryQueueRepository();
    repo.addConcert(CONCERT, { capacity: 2, windowSeconds: WINDOW_SECONDS, claimSeconds: CLAIM_SECONDS });
    tickets = new QueueTickets(testConfig());
    const queueRepo = fake<QueueRepository>(repo);
    sut = new QueueService(
      FAKE_PRISMA,
      fake<TransactionRunner>(new FakeTransactionRunner()),
      queueRepo,
      new QueueSnapshots(FAKE_PRISMA, queueRepo),
      tickets,
      new EventMetrics(new Registry()),
      new QueueExits(FAKE_PRISMA, queueRepo),
    );
  });
  afterEach(() => jest.restoreAllMocks());

  /** Lets the replica's snapshot age past its limit, so the next poll reads a fresh one. */
  const snapshotAges = () => (localNow += SNAPSHOT_MAX_AGE_MS + 1);
  const secondsFromNow = (seconds: number) => new Date(repo.now.getTime() + seconds * 1000);
  const enterAll = async (...userIds: string[]) => {
    for (const userId of userIds) await sut.enter(userId, CONCERT);
  };

  describe('enter', () => {
    it('admits at once, to be claimed within the claim time, while there is a free place, then queues', async () => {
      const first = await sut.enter('u1', CONCERT);
      await sut.enter('u2', CONCERT);
      const third = await sut.enter('u3', CONCERT);

      expect(first).toMatchObject({
        created: true,
        state: { status: 'ACTIVE', position: 1, waitSeconds: null },
      });
      expect(first.state.claimBy).toEqual(secondsFromNow(CLAIM_SECONDS));
      expect(first.state.expiresAt).toEqual(secondsFromNow(CLAIM_SECONDS));
      expect(third).toMatchObject({
        created: true,
        state: { status: 'WAITING', position: 3, expiresAt: null },
      });
      expect(third.state.waitSeconds).toBeGreaterThan(0);
    });

    it('returns the same place, created: false, when the user is already queued', async () => {
      await enterAll('u1', 'u2', 'u3');

      const again = await sut.enter('u3', CONCERT);

      expect(again).toMatchObject({ created: false, state: { status: 'WAITING', position: 3 } });
      expect(repo.statusOf(CONCERT, 'u3')).toEqual(['WAITING']);
    });

    it('signs a queue ticket for the caller and this concert only', async () => {
      await enterAll('u1', 'u2');
      const { state } = await sut.enter('u3', CONCERT);

      expect(tickets.verify(state.queueTicket ?? undefined, CONCERT, 'u3')).toBe(3);
      expect(tickets.verify(state.queueTicket ?? undefined, CONCERT, 'u2')).toBeNull();
      expect(tickets.verify(state.queueTicket ?? undefined, 'c2', 'u3')).toBeNull();
    });

    it('ends a lapsed window the sweeper has not reached and queues the user again at the back', async () => {
      await enterAll('u1', 'u2', 'u3');
      await sut.getState('u1', CONCERT);
      repo.advanceSeconds(WINDOW_SECONDS);

      const again = await sut.enter('u1', CONCERT);

      // u1's claimed window expired, u2 never claimed (no-show), u3 was admitted, and u1 took a
      // new ticket: active with u3.
      expect(again).toMatchObject({ created: true, state: { status: 'ACTIVE', position: 2 } });
      expect(repo.statusOf(CONCERT, 'u1')).toEqual(['EXPIRED', 'ACTIVE']);
      expect(repo.statusOf(CONCERT, 'u2')).toEqual(['NO_SHOW']);
      expect(repo.statusOf(CONCERT, 'u3')).toEqual(['ACTIVE']);
    });

    it.each([
      ['PAUSED', SalesPausedError],
      ['CLOSED', SalesClosedError],
    ] as const)('refuses entry while sales are %s', async (salesState, error) => {
      repo.setSalesState(CONCERT, salesState);

      await expect(sut.enter('u1', CONCERT)).rejects.toBeInstanceOf(error);
      expect(repo.statusOf(CONCERT, 'u1')).toEqual([]);
    });

    it('answers 404 for a concert that does not exist', async () => {
      await expect(sut.enter('u1', 'missing')).rejects.toBeInstanceOf(ConcertNotFoundError);
    });
  });

  describe('getState', () => {
    it('moves a waiting user up as people ahead leave', async () => {
      await enterAll('u1', 'u2', 'u3', 'u4');
      const { queueTicket } = await sut.getState('u4', CONCERT);

      await sut.leave('u3', CONCERT);
      snapshotAges();

      await expect(sut.getState('u4', CONCERT, queueTicket ?? undefined)).resolves.toMatchObject({
        status: 'WAITING',
        position: 3,
      });
    });

    it('shows the window once the user is admitted, and the poll claims it: the full window starts', async () => {
      await enterAll('u1', 'u2', 'u3');
      await sut.getState('u3', CONCERT);

      await sut.leave('u1', CONCERT);
      snapshotAges();
      repo.advanceSeconds(CLAIM_SECONDS - 1);

      const state = await sut.getState('u3', CONCERT);
      expect(state).toMatchObject({ status: 'ACTIVE', position: 2, claimBy: null });
      expect(state.expiresAt).toEqual(secondsFromNow(WINDOW_SECONDS));
    });

    it("ignores another user's queue ticket and answers the caller's own place", async () => {
      await enterAll('u1', 'u2', 'u3', 'u4');
      const theirs = (await sut.getState('u3', CONCERT)).queueTicket;

      await expect(sut.getState('u4', CONCERT, theirs ?? undefined)).resolves.toMatchObject({ position: 4 });
    });

    it('treats a lapsed place as over before the sweeper marks it, and tells why', async () => {
      await enterAll('u1', 'u2');
      await sut.getState('u1', CONCERT);
      repo.advanceSeconds(WINDOW_SECONDS);

      await expect(sut.getState('u1', CONCERT)).rejects.toMatchObject({
        constructor: QueueEntryEndedError,
        details: { reason: 'EXPIRED' },
      });
      await expect(sut.getState('u2', CONCERT)).rejects.toMatchObject({
        constructor: QueueEntryEndedError,
        details: { reason: 'NO_SHOW' },
      });
    });

    it('answers 404 for a user not in the queue, and for an unknown concert', async () => {
      await expect(sut.getState('u1', CONCERT)).rejects.toBeInstanceOf(QueueEntryNotFoundError);
      await expect(sut.getState('u1', 'missing')).rejects.toBeInstanceOf(ConcertNotFoundError);
    });
  });

  describe('wait estimate', () => {
    it('comes from the admissions measured over the last minutes once they exceed one capacity', async () => {
      await enterAll('u1', 'u2', 'u3', 'u4', 'u5', 'u6');
      // u1 and u2 leave early: u3 and u4 are admitted, 4 admissions in all.
      await sut.leave('u1', CONCERT);
      await sut.leave('u2', CONCERT);
      localNow += 5_001; // the replica's count is older than its cache time: the next poll recounts

      // Two admissions needed before u6's turn; the count runs in the background, so this poll
      // still assumes whole windows (one capacity per window).
      await expect(sut.getState('u6', CONCERT)).resolves.toMatchObject({ position: 4, waitSeconds: 300 });
      await new Promise((resolve) => setImmediate(resolve));

      // 4 admissions over 180 s: 2 more take 90 s.
      await expect(sut.getState('u6', CONCERT)).resolves.toMatchObject({ position: 4, waitSeconds: 90 });
    });
  });

  describe('statesForUser', () => {
    it('lists the concerts where the user is queued, without lapsed windows', async () => {
      repo.addConcert('c2', { capacity: 1, windowSeconds: WINDOW_SECONDS, claimSeconds: 10 });
      repo.addConcert('c3', { capacity: 1, windowSeconds: WINDOW_SECONDS, claimSeconds: CLAIM_SECONDS });
      await sut.enter('u1', CONCERT);
      await sut.enter('u1', 'c2');
      // c2's place was never claimed within its claim time; CONCERT's claim time still runs.
      repo.advanceSeconds(10);

      const states = await sut.statesForUser('u1', [CONCERT, 'c2', 'c3']);

      expect([...states.keys()]).toEqual([CONCERT]);
      expect(states.get(CONCERT)).toMatchObject({ status: 'ACTIVE', position: 1 });
    });
  });

  describe('leave', () => {
    it('gives an active user’s place to the next waiting user', async () => {
      await enterAll('u1', 'u2', 'u3');

      await sut.leave('u1', CONCERT);

      expect(repo.statusOf(CONCERT, 'u1')).toEqual(['LEFT']);
      expect(repo.statusOf(CONCERT, 'u3')).toEqual(['ACTIVE']);
    });

    it('is idempotent, and forgets the ticket so a poll after it is refused with the reason', async () => {
      await enterAll('u1', 'u2', 'u3');
      await sut.getState('u3', CONCERT);

      await sut.leave('u3', CONCERT);
      await sut.leave('u3', CONCERT);

      expect(repo.statusOf(CONCERT, 'u3')).toEqual(['LEFT']);
      await expect(sut.getState('u3', CONCERT)).rejects.toMatchObject({
        constructor: QueueEntryEndedError,
        details: { reason: 'LEFT' },
      });
    });

    it('ends a window a payment marked as COMPLETED even when its owner leaves', async () => {
      await enterAll('u1', 'u2', 'u3');
      repo.markPaid(CONCERT, 'u1');

      await sut.leave('u1', CONCERT);

      expect(repo.statusOf(CONCERT, 'u1')).toEqual(['COMPLETED']);
      expect(repo.statusOf(CONCERT, 'u3')).toEqual(['ACTIVE']);
    });

    it('answers 404 for an unknown concert', async () => {
      await expect(sut.leave('u1', 'missing')).rejects.toBeInstanceOf(ConcertNotFoundError);
    });
  });

  describe('sweep', () => {
    it('ends lapsed windows by reason and admits the next users in ticket order', async () => {
      await enterAll('u1', 'u2', 'u3', 'u4', 'u5');
      await sut.getState('u1', CONCERT);
      repo.advanceSeconds(WINDOW_SECONDS);

      await expect(sut.sweep()).resolves.toEqual({ expired: 2, admitted: 2 });
      expect(['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => repo.statusOf(CONCERT, u)[0])).toEqual([
        'EXPIRED',
        'NO_SHOW',
        'ACTIVE',
        'ACTIVE',
        'WAITING',
      ]);
      await expect(sut.sweep()).resolves.toEqual({ expired: 0, admitted: 0 });
    });

    it('completes a paid window without counting it as expired, and gives its place on', async () => {
      await enterAll('u1', 'u2', 'u3');
      repo.markPaid(CONCERT, 'u1');

      await expect(sut.sweep()).resolves.toEqual({ expired: 0, admitted: 1 });
      expect(repo.statusOf(CONCERT, 'u1')).toEqual(['COMPLETED']);
      expect(repo.statusOf(CONCERT, 'u3')).toEqual(['ACTIVE']);
    });
  });
});
