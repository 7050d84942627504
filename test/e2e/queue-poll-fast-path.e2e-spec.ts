import { jest } from '@jest/globals';
import { createConcert } from '../factories/concert.factory.js';
import { createTestApp, createUsers, type TestApp, type TestUser } from '../helpers/test-app.js';
import { QueueService } from '../../src/queue/queue.service.js';
import { SNAPSHOT_MAX_AGE_MS } from '../../src/queue/queue-snapshots.js';

const enter = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().post(`/concerts/${concertId}/queue-entry`).set(user.headers).expect(201);
const poll = (t: TestApp, user: TestUser, concertId: string) =>
  t.http().get(`/concerts/${concertId}/queue`).set(user.headers);
/** Long enough for every snapshot to be too old to answer: the next poll goes through Nest. */
const snapshotAge = () => new Promise((resolve) => setTimeout(resolve, SNAPSHOT_MAX_AGE_MS + 50));
/** Headers whose values differ from one answer to the next whichever path gives them. */
const PER_ANSWER = new Set([
  'date',
  'content-length',
  'x-request-id',
  'retry-after',
  'connection',
  'keep-alive',
]);
const stableHeaders = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.has(name)));
/** The body without what differs between two answers in a row (the poll delay is jittered). */
const stableBody = (body: Record<string, unknown>) => ({ ...body, retryAfterMs: 0, asOf: '' });

describe('The steady poll, answered before Nest', () => {
  let t: TestApp;
  let getState: ReturnType<typeof jest.spyOn>;

  beforeAll(async () => {
    t = await createTestApp({ SWEEPER_ENABLED: false });
  });
  beforeEach(() => {
    getState = jest.spyOn(t.app.get(QueueService), 'getState');
  });
  afterEach(() => getState.mockRestore());
  afterAll(() => t.close());

  it('gives a known waiting user the body and headers the controller gives, without the controller', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id);
    await enter(t, second!, concert.id);
    await snapshotAge();

    const throughNest = await poll(t, second!, concert.id).expect(200);
    expect(getState).toHaveBeenCalledTimes(1);
    const fast = await poll(t, second!, concert.id).expect(200);
    expect(getState).toHaveBeenCalledTimes(1);

    expect(fast.body).toMatchObject({ status: 'WAITING', queuePosition: 2, userId: second!.id });
    expect(stableBody(fast.body)).toEqual(stableBody(throughNest.body));
    expect(stableHeaders(fast.headers)).toEqual(stableHeaders(throughNest.headers));
    expect(fast.headers['x-request-id']).toEqual(expect.any(String));
    expect(Number(fast.headers['retry-after'])).toBe(Math.ceil(fast.body.retryAfterMs / 1000));
  });

  it('answers a user new to this replica from their signed Queue-Ticket, and nobody else with it', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second, third] = await createUsers(t, 3);
    await enter(t, first!, concert.id);
    const { queueTicket } = (await enter(t, second!, concert.id)).body as { queueTicket: string };
    await enter(t, third!, concert.id);
    await poll(t, third!, concert.id).expect(200); // measures the outflow, fills the snapshot
    getState.mockClear();
    // The replica forgets who polled: only the signed ticket can tell it.
    t.app.get<QueueService, { tickets: Map<string, number> }>(QueueService).tickets.clear();

    const own = await poll(t, second!, concert.id).set('Queue-Ticket', queueTicket).expect(200);
    expect(own.body).toMatchObject({ queuePosition: 2, status: 'WAITING' });
    expect(getState).not.toHaveBeenCalled();
    const borrowed = await poll(t, third!, concert.id).set('Queue-Ticket', queueTicket).expect(200);
    expect(borrowed.body).toMatchObject({ queuePosition: 3, userId: third!.id });
    expect(getState).toHaveBeenCalledTimes(1);
  });

  it('leaves to Nest a missing or bad token, an active user and a stale snapshot', async () => {
    const concert = await createConcert(t, { capacity: 1 });
    const [first, second] = await createUsers(t, 2);
    await enter(t, first!, concert.id);
    await enter(t, second!, concert.id);
    await poll(t, second!, concert.id).expect(200);
    getState.mockClear();

    const url = `/concerts/${concert.id}/queue`;
    const anonymous = await t.http().get(url).expect(401);
    expect(anonymous.body.code).toBe('UNAUTHENTICATED');
    const forged = `${second!.headers.Authorization.slice(0, -4)}AAAA`;
    await t.http().get(url).set('Authorization', forged).expect(401);
    await t.http().get(`/concerts/not-a-uuid/queue`).set(second!.headers).expect(400);
    expect(getState).not.toHaveBeenCalled();

    await poll(t, first!, concert.id).expect(200);
    expect(getState).toHaveBeenCalledTimes(1);

    await snapshotAge();
    const stale = await poll(t, second!, concert.id).expect(200);
    expect(stale.body.queuePosition).toBe(2);
    expect(getState).toHaveBeenCalledTimes(2);
  });
});
