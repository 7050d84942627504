import { jest } from '@jest/globals';
import { ReservationsRepository } from '../../src/reservations/reservations.repository.js';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

/** The repository's statements of a batch of holds (private: spied on to hold or fail them). */
type BatchStatements = Record<'holdBatch' | 'heldInOneStatement', (...args: unknown[]) => Promise<unknown>>;

/**
 * Holds of one concert that arrive while its statement runs are answered together by the next
 * one, in arrival order: each must get the answer it would have had alone in that order.
 */
describe('Holds answered in one batch', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false, QUEUE_ACTIVE_CAPACITY: 60 });
  });
  afterAll(() => t.close());

  async function activeUser(concertId: string): Promise<TestUser> {
    const user = await createUser(t);
    const res = await t.http().get(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
    expect(res.body.status).toBe('ACTIVE');
    return user;
  }

  const hold = (user: TestUser, concertId: string, seatIds: string[]) =>
    t.http().post('/reservation/seat').set(user.headers).send({ concertId, seatIds });

  /** seat id -> the user holding it live, read from the database. */
  async function liveHolders(seatIds: string[]): Promise<Map<string, string[]>> {
    const { rows } = await t.db.query<{ seat_id: string; user_id: string }>(
      `SELECT r.seat_id, r.user_id FROM reservations r JOIN seats s ON s.id = r.seat_id
       WHERE r.seat_id = ANY($1::uuid[]) AND r.status = 'PENDING' AND s.status = 'HELD'`,
      [seatIds],
    );
    const holders = new Map<string, string[]>();
    for (const row of rows) holders.set(row.seat_id, [...(holders.get(row.seat_id) ?? []), row.user_id]);
    return holders;
  }

  /**
   * Sends `holds` one after the other, each once the one before has arrived (so they arrive in
   * this order); the first statement waits until all have arrived, so the rest go out together.
   */
  async function sendTogether(holds: (() => ReturnType<typeof hold>)[]) {
    const repo = t.app.get(ReservationsRepository);
    const arrivals = jest.spyOn(repo, 'holdSeats');
    const batches = jest.spyOn(repo as unknown as BatchStatements, 'holdBatch');
    const original = (ReservationsRepository.prototype as unknown as BatchStatements).holdBatch;
    batches.mockImplementationOnce(async function (this: unknown, ...args) {
      await waitFor(async () => arrivals.mock.calls.length === holds.length, 10_000, 5);
      return original.apply(this, args);
    });
    const sent: Promise<Awaited<ReturnType<typeof hold>>>[] = [];
    for (const send of holds) {
      const arrived = sent.length;
      // A supertest request goes out once something waits for it.
      sent.push(send().then((res) => res));
      await waitFor(async () => arrivals.mock.calls.length > arrived, 10_000, 2);
    }
    const responses = await Promise.all(sent);
    const batchSizes = batches.mock.calls.map((call) => (call[1] as unknown[]).length);
    arrivals.mockRestore();
    batches.mockRestore();
    return { responses, batchSizes };
  }

  /**
   * Ten holds of one concert: the first goes out alone, the other nine as one batch. Two users
   * want seat 1; one user asks three times (the third over the cap of 4); an outsider has no
   * window; a late user asks for the first hold's seat, a seat of another concert, then a free one.
   */
  async function mixedHolds() {
    const concert = await createConcert(t, { seats: 12 });
    const other = await createConcert(t, { seats: 1 });
    const [first, capped, late, ...sharers] = await Promise.all(
      Array.from({ length: 5 }, () => activeUser(concert.id)),
    );
    // The first of the two who want seat 1 to arrive has the greater user id: arrival decides.
    const [sharer1, sharer2] = sharers.sort((a, b) => (a.id < b.id ? 1 : -1));
    const outsider = await createUser(t);
    const s = concert.seatIds;
    const holds: [TestUser, string[]][] = [
      [first!, [s[11]!]],
      [sharer1!, [s[0]!, s[1]!]],
      [sharer2!, [s[2]!, s[1]!]],
      [capped!, [s[3]!, s[4]!]],
      [capped!, [s[5]!, s[6]!]],
      [capped!, [s[7]!]],
      [outsider, [s[8]!]],
      [late!, [s[11]!]],
      [late!, [s[9]!, other.seatIds[0]!]],
      [late!, [s[10]!]],
    ];
    const expected = [
      [201, [s[11]]],
      [201, [s[0], s[1]]],
      [409, 'SEAT_ALREADY_RESERVED', [s[1]]],
      [201, [s[3], s[4]]],
      [201, [s[5], s[6]]],
      [409, 'HOLD_LIMIT_EXCEEDED', 4],
      [403, 'QUEUE_NOT_ACTIVE'],
      [409, 'SEAT_ALREADY_RESERVED', [s[11]]],
      [404, 'SEAT_NOT_FOUND', [other.seatIds[0]]],
      [201, [s[10]]],
    ];
    const holders = Object.fromEntries(
      holds.flatMap(([user, seatIds], i) =>
        expected[i]![0] === 201 ? seatIds.map((id) => [id, [user.id]]) : [],
      ),
    );
    return { concert, holds, expected, holders };
  }

  /** What matters of a hold's answer: its status and seats held, or its code and what it names. */
  const answerOf = (res: Awaited<ReturnType<typeof hold>>) =>
    res.status === 201
      ? [201, res.body.reservations.map((r: { seatId: string }) => r.seatId)]
      : [res.status, res.body.code, res.body.details?.seatIds ?? res.body.details?.held].filter(
          (part) => part !== undefined,
        );

  it('answers a batch of holds with mixed outcomes each as alone, in arrival order', async () => {
    const { concert, holds, expected, holders } = await mixedHolds();

    const { responses, batchSizes } = await sendTogether(
      holds.map(
        ([user, seatIds]) =>
          () =>
            hold(user, concert.id, seatIds),
      ),
    );

    expect(batchSizes).toEqual([1, 9]);
    expect(responses.map(answerOf)).toEqual(expected);
    expect(responses[5]!.body.details).toEqual({ limit: 4, held: 4, requested: 1 });
    expect(Object.fromEntries(await liveHolders(concert.seatIds))).toEqual(holders);
  });

  it('answers each hold of a failed batch statement alone, one after the other in arrival order', async () => {
    const { concert, holds, expected, holders } = await mixedHolds();
    const repo = t.app.get(ReservationsRepository);
    const statement = jest
      .spyOn(repo as unknown as BatchStatements, 'heldInOneStatement')
      .mockRejectedValueOnce(new Error('deadlock detected'));

    const { responses, batchSizes } = await sendTogether(
      holds.map(
        ([user, seatIds]) =>
          () =>
            hold(user, concert.id, seatIds),
      ),
    );
    statement.mockRestore();

    expect(batchSizes).toEqual([1, 9]);
    expect(responses.map(answerOf)).toEqual(expected);
    expect(Object.fromEntries(await liveHolders(concert.seatIds))).toEqual(holders);
  });

  it('never holds a seat twice when 40 users hold overlapping seats in parallel', async () => {
    const concert = await createConcert(t, { seats: 30 });
    const users = await Promise.all(Array.from({ length: 40 }, () => activeUser(concert.id)));
    const asked = users.map((_, i) => [concert.seatIds[(i * 7) % 30]!, concert.seatIds[(i * 11 + 3) % 30]!]);

    const responses = await Promise.all(users.map((user, i) => hold(user, concert.id, asked[i]!)));

    const holders = await liveHolders(concert.seatIds);
    expect([...holders.values()].every((users) => users.length === 1)).toBe(true);
    responses.forEach((res, i) => {
      const user = users[i]!;
      if (res.status === 201) {
        // Held: exactly the seats asked, each now this user's.
        expect(res.body.reservations.map((r: { seatId: string }) => r.seatId)).toEqual(asked[i]);
        for (const seatId of asked[i]!) expect(holders.get(seatId)).toEqual([user.id]);
      } else {
        // Refused: the seats named are someone else's; the user holds nothing.
        expect([res.status, res.body.code]).toEqual([409, 'SEAT_ALREADY_RESERVED']);
        expect(res.body.details.seatIds.length).toBeGreaterThan(0);
        for (const seatId of res.body.details.seatIds) expect(holders.get(seatId)).not.toEqual([user.id]);
        for (const seatId of res.body.details.seatIds) expect(holders.get(seatId)).toBeDefined();
        expect([...holders.values()].some((ids) => ids.includes(user.id))).toBe(false);
      }
    });
    expect(responses.filter((res) => res.status === 201).length).toBe([...holders.values()].length / 2);
  });
});
