import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createConcert } from '../factories/concert.factory.js';
import { ApiClient, NetworkError, type ApiResponse } from './api-client.js';
import { checkInvariants, type InvariantViolation } from './invariants.js';
import { startRestartablePostgres } from './restartable-postgres.js';
import { createTestApp, createUsers, type TestUser } from './test-app.js';
import { waitFor } from './wait.js';

export interface PostgresRestartOptions {
  users: number;
  restarts: number;
  /** How long PostgreSQL stays down each time. */
  downMs: number;
}

export interface PostgresRestartOutcome {
  requests: number;
  /** "200", "503 SERVICE_UNAVAILABLE", … over the whole run. */
  answers: Record<string, number>;
  /** 5xx other than a JSON 503 SERVICE_UNAVAILABLE, answers that are not JSON, broken connections. */
  badAnswers: { path: string; status: number | 'network'; body: unknown }[];
  /** What the probes got while PostgreSQL was down, and once it was back. */
  whileDown: { path: string; status: number; body: unknown; retryAfter: unknown }[];
  afterRecovery: { path: string; status: number }[];
  /** Charges the app confirmed with 200, and what the ledgers hold: the ledger may hold more (an answer lost in the outage), never less. */
  confirmedCharges: number;
  ledgerCharges: number;
  violations: InvariantViolation[];
}

const SWEEP_INTERVAL_MS = 200;

/**
 * An app in this process on a PostgreSQL server of its own, under steady load from
 * `users`; PostgreSQL is stopped (fast shutdown: connections cut mid-transaction) and
 * started again `restarts` times. The app is never restarted.
 */
export async function runPostgresRestartScenario(
  options: PostgresRestartOptions,
): Promise<PostgresRestartOutcome> {
  const database = await startRestartablePostgres();
  const t = await createTestApp(
    { EXPIRY_SWEEP_INTERVAL_MS: SWEEP_INTERVAL_MS },
    { databaseUrl: database.url },
  );
  // The test's own pool sees its idle connections cut too; without a listener that would crash the run.
  t.db.on('error', () => undefined);
  const outcome: PostgresRestartOutcome = {
    requests: 0,
    answers: {},
    badAnswers: [],
    whileDown: [],
    afterRecovery: [],
    confirmedCharges: 0,
    ledgerCharges: 0,
    violations: [],
  };
  let api: ApiClient | undefined;
  try {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    api = new ApiClient(`http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`);
    const concert = await createConcert(t, { capacity: options.users, seats: options.users * 50 });
    const users = await createUsers(t, options.users);

    const send = async (path: string, method: string, user?: TestUser, body?: unknown, key?: string) => {
      outcome.requests++;
      let response: ApiResponse;
      try {
        response = await api!.call(method, path, {
          token: user?.accessToken,
          body,
          headers: key ? { 'idempotency-key': key } : undefined,
        });
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        outcome.badAnswers.push({ path, status: 'network', body: error.message });
        return null;
      }
      const answer = `${response.status}${response.body?.code ? ` ${response.body.code}` : ''}`;
      outcome.answers[answer] = (outcome.answers[answer] ?? 0) + 1;
      const json = response.status === 204 || typeof response.body === 'object';
      const unavailable = response.status === 503 && response.body?.code === 'SERVICE_UNAVAILABLE';
      if (!json || (response.status >= 500 && !unavailable)) {
        outcome.badAnswers.push({ path, status: response.status, body: response.body });
      }
      return response;
    };

    let running = true;
    let seatCursor = 0;
    const load = users.map(async (user) => {
      while (running) {
        const action = Math.random();
        if (action < 0.3) {
          const response = await send('/points/charge', 'PATCH', user, { amount: 100 }, randomUUID());
          if (response?.status === 200) outcome.confirmedCharges += 100;
        } else if (action < 0.5) {
          await send(`/concerts/${concert.id}/queue-entry`, 'POST', user);
        } else if (action < 0.75) {
          const seatIds = [concert.seatIds[seatCursor++ % concert.seatIds.length]!];
          const hold = await send('/reservation/seat', 'POST', user, { concertId: concert.id, seatIds });
          if (hold?.status === 201) {
            const reservationIds = (hold.body.reservations as { id: string }[]).map(({ id }) => id);
            await send('/payment', 'POST', user, { reservationIds }, randomUUID());
          }
        } else if (action < 0.85) {
          await send('/health/ready', 'GET');
        } else {
          await send('/points', 'GET', user);
        }
      }
    });

    const probe = users[0]!;
    for (let restart = 0; restart < options.restarts; restart++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await database.stop();
      for (const [path, method, body] of [
        ['/health/ready', 'GET', undefined],
        ['/points', 'GET', undefined],
        ['/points/charge', 'PATCH', { amount: 100 }],
        [`/concerts/${concert.id}/queue-entry`, 'POST', undefined],
      ] as const) {
        const response = await api.call(method, path, { token: probe.accessToken, body });
        outcome.whileDown.push({
          path,
          status: response.status,
          body: response.body,
          retryAfter: response.headers['retry-after'],
        });
      }
      await new Promise((resolve) => setTimeout(resolve, options.downMs));
      await database.start();
      await waitFor(async () => (await api!.call('GET', '/health/ready')).status === 200, 30_000, 100);
      for (const path of ['/health/ready', '/points']) {
        const response = await api.call('GET', path, { token: probe.accessToken });
        outcome.afterRecovery.push({ path, status: response.status });
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all(load);

    outcome.violations = await checkInvariants(t.db, { sweepIntervalMs: SWEEP_INTERVAL_MS });
    const { rows } = await t.db.query<{ total: number }>(
      `SELECT coalesce(sum(amount), 0)::int AS total FROM point_ledger WHERE type = 'CHARGE'`,
    );
    outcome.ledgerCharges = rows[0]!.total;
    return outcome;
  } finally {
    await api?.close();
    await t.close();
    await database.destroy();
  }
}
