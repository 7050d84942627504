import { randomUUID } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { mersenne } from 'pure-rand/generator/mersenne';
import { NetworkError, type ApiCall, type ApiClient, type ApiResponse } from './api-client.js';

export interface ChaosUser {
  id: string;
  accessToken: string;
}

export interface ChaosOptions {
  /** User i talks to apis[i % apis.length]: several instances share the crowd. */
  apis: ApiClient[];
  users: ChaosUser[];
  concertIds: string[];
  /** The run stops at whichever comes first. */
  durationMs: number;
  maxOperations: number;
  /** RESERVATION_HOLD_SECONDS of the app under test: paying "after expiry" waits this long. */
  holdSeconds: number;
  seed?: number;
}

export interface ChaosReport {
  seed: number;
  users: number;
  durationMs: number;
  operations: number;
  /** Per operation, how often each answer came: "201", "409 SEAT_ALREADY_RESERVED", … */
  answers: Record<string, Record<string, number>>;
  /** Every 5xx answer (target: none). */
  serverErrors: { operation: string; status: number; body: unknown }[];
  /** Answers outside what the operation may legitimately get, and broken connections. */
  unexpected: { operation: string; answer: string; body: unknown }[];
  /** Contract breaks only the client can see, e.g. two different payments for one key. */
  anomalies: string[];
}

/**
 * The statuses each operation may get from a correct server under this workload; any
 * other answer is recorded as unexpected. A 409 is the documented answer to a conflict
 * (a key still in use, a seat taken, a concurrent update), so writes may get one.
 */
const ALLOWED: Record<string, number[]> = {
  charge: [200, 409],
  'enter queue': [200, 201, 409],
  // 410: the place ended (left, lapsed unclaimed or expired, paid) within the hour.
  'poll queue': [200, 404, 410],
  'leave queue': [204, 409],
  'seat map': [200, 403],
  hold: [201, 403, 409],
  cancel: [204, 403, 409],
  pay: [200, 402, 403, 409, 410],
  'read payment': [200],
  'list reservations': [200],
  'read points': [200],
  'point history': [200],
  'list concerts': [200],
  'available dates': [200],
};

/** Seeded and reported, so a failing mix of choices can be tried again (timing still varies). */
function seededRandom(seed: number): () => number {
  const generator = mersenne(seed);
  return () => uniformFloat64(generator);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hundreds of users at once, each looping through random flows against the app until the
 * time or operation budget runs out: charging points (with and without Idempotency-Key,
 * retried, in parallel), entering and polling the queue, leaving it, double clicks,
 * holding random seats, cancelling, paying (in parallel, with another user's reservation,
 * after the hold expired) and re-entering. Only the answers are checked here; the caller
 * checks the database with checkInvariants.
 */
export async function runChaosWorkload(options: ChaosOptions): Promise<ChaosReport> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const between = (min: number, max: number) => Math.floor(min + random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const startedAt = Date.now();
  const deadline = startedAt + options.durationMs;
  const report: ChaosReport = {
    seed,
    users: options.users.length,
    durationMs: 0,
    operations: 0,
    answers: {},
    serverErrors: [],
    unexpected: [],
    anomalies: [],
  };
  const apiOf = new Map(options.users.map((user, i) => [user, options.apis[i % options.apis.length]!]));
  const over = () => Date.now() >= deadline || report.operations >= options.maxOperations;
  /** Recent reservations of everyone: paying or cancelling one of another user must be refused. */
  const recentReservations: { userId: string; id: string }[] = [];

  async function call(
    operation: string,
    method: string,
    path: string,
    user: ChaosUser,
    extra: Omit<ApiCall, 'token'> = {},
  ): Promise<ApiResponse | null> {
    report.operations++;
    const answers = (report.answers[operation] ??= {});
    let response: ApiResponse;
    try {
      response = await apiOf.get(user)!.call(method, path, { ...extra, token: user.accessToken });
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      answers.network = (answers.network ?? 0) + 1;
      report.unexpected.push({ operation, answer: 'network', body: error.message });
      return null;
    }
    const code = typeof response.body?.code === 'string' ? ` ${response.body.code}` : '';
    const answer = `${response.status}${code}`;
    answers[answer] = (answers[answer] ?? 0) + 1;
    if (response.status >= 500)
      report.serverErrors.push({ operation, status: response.status, body: response.body });
    else if (!ALLOWED[operation]!.includes(response.status)) {
      report.unexpected.push({ operation, answer, body: response.body });
    }
    return response;
  }

  /** Sends the same request twice at once, as a double click does. */
  const twice = <T>(send: () => Promise<T>) => Promise.all([send(), send()]);

  async function charge(user: ChaosUser): Promise<void> {
    const body = { amount: between(5, 60) * 1_000 };
    const mode = between(0, 3);
    if (mode === 0) {
      await call('charge', 'PATCH', '/points/charge', user, { body });
      return;
    }
    const headers = { 'idempotency-key': randomUUID() };
    const send = () => call('charge', 'PATCH', '/points/charge', user, { body, headers });
    // With a key: once and a retry, or twice at once and a retry. Every 200 must carry the same result.
    const first = mode === 1 ? [await send()] : await twice(send);
    const retry = await send();
    const results = [...first, retry]
      .filter((response) => response?.status === 200)
      .map((response) => JSON.stringify(response!.body));
    if (new Set(results).size > 1) {
      report.anomalies.push(`charge key answered differently: ${[...new Set(results)].join(' vs ')}`);
    }
  }

  async function enter(user: ChaosUser, concertId: string): Promise<boolean> {
    const method = chance(0.5) ? 'GET' : 'POST';
    const send = () => call('enter queue', method, `/concerts/${concertId}/queue-entry`, user);
    const responses = chance(0.15) ? await twice(send) : [await send()];
    const created = responses.filter((response) => response?.status === 201).length;
    if (created > 1) report.anomalies.push(`double click entered the queue twice (user ${user.id})`);
    return responses.some((response) => response?.status === 200 || response?.status === 201);
  }

  /** Polls until the window opens; false when the entry is gone or the user gives up. */
  async function waitForWindow(user: ChaosUser, concertId: string): Promise<boolean> {
    while (!over()) {
      const state = await call('poll queue', 'GET', `/concerts/${concertId}/queue`, user);
      if (state?.status !== 200) return false;
      if (state.body.status === 'ACTIVE') return true;
      if (chance(0.03)) {
        await call('leave queue', 'DELETE', `/concerts/${concertId}/queue-entry`, user);
        return false;
      }
      await sleep(between(150, 400));
    }
    return false;
  }

  async function pay(user: ChaosUser, reservationIds: string[]): Promise<void> {
    const body = { reservationIds };
    const mode = between(0, 4);
    if (mode === 0) {
      await call('pay', 'POST', '/payment', user, { body });
      return;
    }
    if (mode === 1) {
      // Two tabs paying the same reservations: at most one payment may succeed.
      const answers = await twice(() => call('pay', 'POST', '/payment', user, { body }));
      if (answers.every((response) => response?.status === 200)) {
        report.anomalies.push(`two payments of the same reservations succeeded (user ${user.id})`);
      }
      return;
    }
    const headers = { 'idempotency-key': randomUUID() };
    const send = () => call('pay', 'POST', '/payment', user, { body, headers });
    const first = mode === 2 ? [await send()] : await twice(send);
    const retry = await send();
    const paymentIds = new Set(
      [...first, retry]
        .filter((response) => response?.status === 200)
        .map((response) => response!.body.paymentId),
    );
    if (paymentIds.size > 1) report.anomalies.push(`one key made payments ${[...paymentIds].join(', ')}`);
    const paymentId = [...paymentIds][0];
    if (paymentId && chance(0.5)) await call('read payment', 'GET', `/payment/${paymentId}`, user);
  }

  /** While the window is open: look at the seats, hold some, then pay, cancel or let the hold lapse. */
  async function shop(user: ChaosUser, concertId: string): Promise<void> {
    const map = await call('seat map', 'GET', `/reservation/${concertId}/seats?limit=500`, user);
    if (map?.status !== 200) return;
    const seats = map.body.seats as { id: string; status: string }[];
    const free = seats.filter((seat) => seat.status === 'AVAILABLE');
    const count = between(1, 3);
    // Mostly free seats; sometimes any seat, so that holds collide.
    const pool = free.length >= count && chance(0.75) ? free : seats;
    const seatIds = [...new Set(Array.from({ length: count }, () => pick(pool).id))];
    const send = () => call('hold', 'POST', '/reservation/seat', user, { body: { concertId, seatIds } });
    const holds = chance(0.1) ? await twice(send) : [await send()];
    const held = holds.filter((response) => response?.status === 201);
    if (held.length > 1) report.anomalies.push(`double click held seats ${seatIds.join(', ')} twice`);
    if (!held.length) return;
    const reservationIds = (held[0]!.body.reservations as { id: string }[]).map(
      (reservation) => reservation.id,
    );
    for (const id of reservationIds) recentReservations.push({ userId: user.id, id });
    if (recentReservations.length > 200) recentReservations.splice(0, 100);

    const action = random();
    if (action < 0.45) {
      await pay(user, reservationIds);
    } else if (action < 0.6) {
      const cancel = () => call('cancel', 'DELETE', `/reservation/${reservationIds[0]}`, user);
      const answers = chance(0.3) ? await twice(cancel) : [await cancel()];
      if (answers.filter((response) => response?.status === 204).length > 1) {
        report.anomalies.push(`reservation ${reservationIds[0]} was cancelled twice`);
      }
      if (chance(0.3)) await pay(user, reservationIds);
    } else if (action < 0.72) {
      // Pay after the hold expired: must be refused (410) and take no points.
      await sleep(options.holdSeconds * 1000 + between(50, 500));
      const late = await call('pay', 'POST', '/payment', user, { body: { reservationIds } });
      if (late?.status === 200)
        report.anomalies.push(`an expired hold was paid (${reservationIds.join(', ')})`);
    } else if (action < 0.8) {
      const foreign = recentReservations.filter((reservation) => reservation.userId !== user.id);
      if (foreign.length) {
        const other = pick(foreign).id;
        const answer = await call('pay', 'POST', '/payment', user, { body: { reservationIds: [other] } });
        if (answer?.status === 200)
          report.anomalies.push(`user ${user.id} paid reservation ${other} of another user`);
        const cancel = await call('cancel', 'DELETE', `/reservation/${other}`, user);
        if (cancel?.status === 204)
          report.anomalies.push(`user ${user.id} cancelled reservation ${other} of another user`);
      }
    }
    // Otherwise the hold is abandoned and lapses.
  }

  async function browse(user: ChaosUser): Promise<void> {
    const reads: [string, string][] = [
      ['list reservations', '/reservation?limit=5'],
      ['read points', '/points'],
      ['point history', '/points/history?limit=5'],
      ['list concerts', '/concerts'],
      ['available dates', '/reservation/available-dates'],
    ];
    const [operation, path] = pick(reads);
    await call(operation, 'GET', path, user);
  }

  async function userLoop(user: ChaosUser): Promise<void> {
    // Users start at different moments, like a real crowd.
    await sleep(between(0, 500));
    await charge(user);
    while (!over()) {
      const concertId = pick(options.concertIds);
      if (chance(0.15)) await charge(user);
      if (chance(0.2)) await browse(user);
      if (!(await enter(user, concertId))) continue;
      if (chance(0.05)) {
        await call('leave queue', 'DELETE', `/concerts/${concertId}/queue-entry`, user);
        continue;
      }
      if (!(await waitForWindow(user, concertId))) continue;
      await shop(user, concertId);
      if (chance(0.3)) await call('leave queue', 'DELETE', `/concerts/${concertId}/queue-entry`, user);
    }
  }

  await Promise.all(options.users.map(userLoop));
  report.durationMs = Date.now() - startedAt;
  return report;
}

/** A short, readable summary of a report for the test output. */
export function formatChaosReport(report: ChaosReport): string {
  const lines = [
    `seed ${report.seed}: ${report.users} users, ${report.operations} operations in ${(report.durationMs / 1000).toFixed(1)} s`,
    `5xx: ${report.serverErrors.length}, unexpected: ${report.unexpected.length}, anomalies: ${report.anomalies.length}`,
  ];
  for (const [operation, answers] of Object.entries(report.answers)) {
    const parts = Object.entries(answers)
      .sort(([, a], [, b]) => b - a)
      .map(([answer, count]) => `${answer} ×${count}`);
    lines.push(`  ${operation}: ${parts.join(', ')}`);
  }
  return lines.join('\n');
}
