import { jest } from '@jest/globals';
import { ReservationsRepository } from '../../src/reservations/reservations.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

const PER_ANSWER = new Set(['date', 'content-length', 'x-request-id', 'connection', 'keep-alive']);
const answerOf = (res: { status: number; headers: Record<string, string>; text: string }) => ({
  status: res.status,
  headers: Object.fromEntries(Object.entries(res.headers).filter(([name]) => !PER_ANSWER.has(name))),
  text: res.text,
});

/** The repository's statement of a batch of seat pages (private: spied on to hold the first one). */
type BatchStatements = Record<'seatStatusPages', (...args: unknown[]) => Promise<unknown>>;

/**
 * Seat pages of one concert that arrive while its statement runs are answered together by the
 * next one: each must be the answer it would have had alone, byte for byte.
 */
describe('Seat pages answered in one batch', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 50 });
  });
  afterAll(() => t.close());

  async function activeUser(concertId: string): Promise<TestUser> {
    const user = await createUser(t);
    const res = await t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
    expect(res.body.status).toBe('ACTIVE');
    return user;
  }

  it('answers 20 parallel pages of different callers as each alone', async () => {
    const concert = await createConcert(t, { seats: 250 });
    // The first page learns the replica's seat catalog: the rest are answered from it.
    const first = await activeUser(concert.id);
    await t.http().get(`/reservation/${concert.id}/seats`).set(first.headers).expect(200);
    const buyers = await Promise.all(Array.from({ length: 18 }, () => activeUser(concert.id)));
    // Buyer i reads page i % 13 + 1 of 20 seats. Every third holds a seat of its page and one of
    // another's page; the others' windows are still unclaimed: the batch claims them.
    const holders = new Set([0, 3, 6, 9, 12, 15]);
    for (const i of holders)
      await t
        .http()
        .post('/reservation/seat')
        .set(buyers[i]!.headers)
        .send({
          concertId: concert.id,
          seatIds: [concert.seatIds[(i % 13) * 20 + (i % 10)]!, concert.seatIds[249 - i]!],
        })
        .expect(201);
    const outsider = await createUser(t);
    const pages = [
      ...buyers.map((buyer, i) => ({ user: buyer, query: `?page=${(i % 13) + 1}&limit=20` })),
      { user: outsider, query: '?page=2&limit=20' },
      { user: buyers[0]!, query: '?page=3&limit=50' },
    ];
    const send = ({ user, query }: (typeof pages)[number]) =>
      t.http().get(`/reservation/${concert.id}/seats${query}`).set(user.headers);

    // The first statement waits until every page has arrived: the other 19 go out as the next one.
    const repo = t.app.get(ReservationsRepository);
    const arrivals = jest.spyOn(repo, 'findSeatStatuses');
    const statements = jest.spyOn(repo as unknown as BatchStatements, 'seatStatusPages');
    const run = statements.getMockImplementation();
    const original = (ReservationsRepository.prototype as unknown as BatchStatements).seatStatusPages;
    statements.mockImplementationOnce(async function (this: unknown, ...args) {
      await waitFor(async () => arrivals.mock.calls.length === pages.length, 10_000, 5);
      return (run ?? original).apply(this, args);
    });
    const together = await Promise.all(pages.map(send));
    expect(statements).toHaveBeenCalledTimes(2);
    arrivals.mockRestore();
    statements.mockRestore();

    const alone = [];
    for (const page of pages) alone.push(await send(page));
    expect(together.map(answerOf)).toEqual(alone.map(answerOf));
    expect(together.map((res) => res.status)).toEqual([...buyers.map(() => 200), 403, 200]);
    // Each caller's own seat of the page is theirs; no one else's is.
    const mine = (res: { body: { seats?: { mine: boolean }[] } }) =>
      (res.body.seats ?? []).filter((seat) => seat.mine).length;
    expect(together.map(mine)).toEqual([...buyers.map((_, i) => (holders.has(i) ? 1 : 0)), 0, 0]);
  });
});
