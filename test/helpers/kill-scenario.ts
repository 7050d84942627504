import { randomUUID } from 'node:crypto';
import { createConcert } from '../factories/concert.factory.js';
import { ApiClient, NetworkError, type ApiResponse } from './api-client.js';
import { startAppProcess, type AppProcess } from './app-process.js';
import { checkInvariants, type InvariantViolation } from './invariants.js';
import { createUsers, prepareChildApps, type TestUser } from './test-app.js';

export interface KillNineOptions {
  rounds: number;
  users: number;
}

export interface KillNineOutcome {
  /** SIGKILLs delivered mid-burst. */
  kills: number;
  requests: number;
  /** Requests that got an answer before the kill, and those cut off by it. */
  answered: number;
  cutOff: number;
  /** Payments found committed right after the kills, and how many of them the clients had been told of. */
  committedAtKill: number;
  acknowledgedAtKill: number;
  /** Answers over the whole run, "200", "409 IDEMPOTENCY_KEY_IN_USE", … */
  answers: Record<string, number>;
  /** Any 5xx. */
  serverErrors: { path: string; status: number; body: unknown }[];
  /** Rules broken right after a kill (nothing half applied) and after the retries. */
  violations: InvariantViolation[];
  /** An answer the client got that the database does not show, or an operation applied twice. */
  problems: string[];
}

const PRICE = 1_000;

/**
 * The built app as a child process, SIGKILLed in the middle of a burst of payments and
 * charges, then started again on the same database. After each kill the database must
 * hold every operation the clients were told succeeded, and nothing half done; after the
 * restart, retries with the same keys must not apply anything twice.
 */
export async function runKillNineScenario(options: KillNineOptions): Promise<KillNineOutcome> {
  const { setup, env } = await prepareChildApps();
  const outcome: KillNineOutcome = {
    kills: 0,
    requests: 0,
    answered: 0,
    cutOff: 0,
    committedAtKill: 0,
    acknowledgedAtKill: 0,
    answers: {},
    serverErrors: [],
    violations: [],
    problems: [],
  };
  let server: AppProcess | undefined;
  let api: ApiClient | undefined;
  const record = (path: string, response: ApiResponse) => {
    const answer = `${response.status}${response.body?.code ? ` ${response.body.code}` : ''}`;
    outcome.answers[answer] = (outcome.answers[answer] ?? 0) + 1;
    if (response.status >= 500)
      outcome.serverErrors.push({ path, status: response.status, body: response.body });
  };
  /** A request that must be answered (the server is up and nobody kills it). */
  const must = async (method: string, path: string, user: TestUser, body?: unknown, key?: string) => {
    outcome.requests++;
    const response = await api!.call(method, path, {
      token: user.accessToken,
      body,
      headers: key ? { 'idempotency-key': key } : undefined,
    });
    record(path, response);
    return response;
  };
  const start = async () => {
    server = await startAppProcess(env);
    api = new ApiClient(server.origin, { connections: 32 });
  };

  try {
    await start();
    const users = await createUsers(setup, options.users);
    for (let round = 0; round < options.rounds; round++) {
      const concert = await createConcert(setup, {
        capacity: options.users,
        seats: options.users * 2,
        price: PRICE,
        windowSeconds: 600,
      });
      // Arrange through the API: points, an open window and two held seats each.
      const holds = new Map<TestUser, string[]>();
      await Promise.all(
        users.map(async (user, i) => {
          await must('PATCH', '/points/charge', user, { amount: 10 * PRICE });
          await must('POST', `/concerts/${concert.id}/queue-entry`, user);
          const seatIds = concert.seatIds.slice(2 * i, 2 * i + 2);
          const hold = await must('POST', '/reservation/seat', user, { concertId: concert.id, seatIds });
          if (hold.status !== 201) throw new Error(`arranging round ${round}: hold answered ${hold.status}`);
          holds.set(
            user,
            (hold.body.reservations as { id: string }[]).map(({ id }) => id),
          );
        }),
      );

      // The burst: every user pays (some twice at once, some also without a key) and charges.
      const payKeys = new Map(users.map((user) => [user, randomUUID()]));
      const chargeKeys = new Map(users.map((user) => [user, randomUUID()]));
      const chargeAmount = (i: number) => 100 + round * options.users + i; // unique per user and round
      const acknowledged = { payments: new Map<TestUser, string>(), charges: new Map<TestUser, number>() };
      const killAfter = 1 + Math.floor(Math.random() * Math.max(1, options.users / 2));
      let answered = 0;
      const victim = server!;
      const fire = async (method: string, path: string, user: TestUser, body: unknown, key?: string) => {
        outcome.requests++;
        try {
          const response = await api!.call(method, path, {
            token: user.accessToken,
            body,
            headers: key ? { 'idempotency-key': key } : undefined,
          });
          record(path, response);
          outcome.answered++;
          if (++answered === killAfter) void victim.kill();
          return response;
        } catch (error) {
          if (!(error instanceof NetworkError)) throw error;
          outcome.cutOff++;
          return null;
        }
      };
      await Promise.all(
        users.flatMap((user, i) => {
          const reservationIds = holds.get(user)!;
          const pay = (key?: string) =>
            fire('POST', '/payment', user, { reservationIds }, key).then((response) => {
              if (response?.status === 200) acknowledged.payments.set(user, response.body.paymentId);
            });
          const charge = fire(
            'PATCH',
            '/points/charge',
            user,
            { amount: chargeAmount(i) },
            chargeKeys.get(user),
          ).then((response) => {
            if (response?.status === 200) acknowledged.charges.set(user, response.body.points);
          });
          return [
            pay(payKeys.get(user)),
            ...(i % 2 ? [pay(payKeys.get(user))] : []),
            ...(i % 3 ? [] : [pay()]),
            charge,
          ];
        }),
      );
      await victim.kill();
      outcome.kills++;

      // Right after the kill: everything acknowledged is there, and nothing is half applied.
      outcome.violations.push(...(await checkInvariants(setup.db)));
      const committed = await setup.db.query<{ payments: number }>(
        `SELECT count(DISTINCT payment_id)::int AS payments FROM reservations WHERE id = ANY($1::uuid[])`,
        [[...holds.values()].flat()],
      );
      outcome.committedAtKill += committed.rows[0]!.payments;
      outcome.acknowledgedAtKill += acknowledged.payments.size;
      for (const [user, paymentId] of acknowledged.payments) {
        const { rows } = await setup.db.query<{ confirmed: number }>(
          `SELECT count(*)::int AS confirmed FROM reservations WHERE payment_id = $1 AND status = 'CONFIRMED'`,
          [paymentId],
        );
        if (rows[0]!.confirmed !== 2)
          outcome.problems.push(
            `payment ${paymentId} of ${user.id} was answered 200 but is not in the database`,
          );
      }
      for (const [user, points] of acknowledged.charges) {
        const { rowCount } = await setup.db.query(
          `SELECT 1 FROM point_ledger WHERE user_id = $1 AND type = 'CHARGE' AND balance_after = $2`,
          [user.id, points],
        );
        if (!rowCount)
          outcome.problems.push(
            `charge of ${user.id} was answered 200 (balance ${points}) but is not in the ledger`,
          );
      }

      // Restart on the same database; retry everything with the same keys, then without.
      await api!.close();
      await start();
      await Promise.all(
        users.map(async (user, i) => {
          const reservationIds = holds.get(user)!;
          const retry = await must('POST', '/payment', user, { reservationIds }, payKeys.get(user));
          const acked = acknowledged.payments.get(user);
          // A claim orphaned by the kill answers 409 IDEMPOTENCY_KEY_IN_USE until it counts as abandoned.
          if (retry.status === 200 && acked && retry.body.paymentId !== acked) {
            outcome.problems.push(`key of ${user.id} paid twice: ${acked} and ${retry.body.paymentId}`);
          }
          await must('POST', '/payment', user, { reservationIds });
          await must('PATCH', '/points/charge', user, { amount: chargeAmount(i) }, chargeKeys.get(user));
        }),
      );
      for (const [i, user] of users.entries()) {
        const { rows } = await setup.db.query<{ payments: number; unpaid: number; charges: number }>(
          `SELECT (SELECT count(DISTINCT payment_id)::int FROM reservations WHERE id = ANY($2::uuid[])) AS payments,
                  (SELECT count(*)::int FROM reservations WHERE id = ANY($2::uuid[]) AND status <> 'CONFIRMED') AS unpaid,
                  (SELECT count(*)::int FROM point_ledger WHERE user_id = $1 AND type = 'CHARGE' AND amount = $3) AS charges`,
          [user.id, holds.get(user), chargeAmount(i)],
        );
        const { payments, unpaid, charges } = rows[0]!;
        if (payments !== 1 || unpaid !== 0)
          outcome.problems.push(`${user.id}: ${payments} payments, ${unpaid} unpaid after the retries`);
        if (charges > 1) outcome.problems.push(`${user.id}: one charge key applied ${charges} times`);
      }
      outcome.violations.push(...(await checkInvariants(setup.db)));
    }
    // Serving again: a fresh charge goes through.
    const fresh = await must('PATCH', '/points/charge', users[0]!, { amount: 1 }, randomUUID());
    if (fresh.status !== 200)
      outcome.problems.push(`after the last restart a charge answered ${fresh.status}`);
    return outcome;
  } finally {
    await api?.close();
    await server?.stop();
    await setup.close();
  }
}
