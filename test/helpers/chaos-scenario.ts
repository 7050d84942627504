import type { AddressInfo } from 'node:net';
import { createConcert } from '../factories/concert.factory.js';
import { ApiClient } from './api-client.js';
import { runChaosWorkload, type ChaosReport } from './chaos-workload.js';
import {
  checkInvariants,
  startInvariantSampler,
  type InvariantSample,
  type InvariantViolation,
} from './invariants.js';
import { createTestApp, createUsers, type TestApp } from './test-app.js';

export interface ChaosScenario {
  users: number;
  durationMs: number;
  maxOperations: number;
  concerts: number;
  /** Active windows per concert. */
  capacity: number;
  seatsPerConcert: number;
  /** App instances on one database, each with its own sweeper; the users are spread over them. */
  instances: number;
  seed?: number;
}

export interface ChaosOutcome {
  report: ChaosReport;
  /** Invariants checked while the workload ran. */
  sampled: InvariantSample;
  /** Invariants checked once the workload stopped and the sweepers caught up. */
  final: InvariantViolation[];
  sweepIntervalMs: number;
}

/** Short windows and holds, so that expiry happens all the time. */
export const CHAOS_SETTINGS = {
  QUEUE_WINDOW_SECONDS: 2,
  RESERVATION_HOLD_SECONDS: 2,
  EXPIRY_SWEEP_INTERVAL_MS: 200,
  DATABASE_POOL_SIZE: 20,
} as const;

/** Runs the chaos workload against `instances` apps listening on loopback, sampling the invariants. */
export async function runChaosScenario(scenario: ChaosScenario): Promise<ChaosOutcome> {
  const sweepIntervalMs = CHAOS_SETTINGS.EXPIRY_SWEEP_INTERVAL_MS;
  const primary = await createTestApp(CHAOS_SETTINGS);
  const apps: TestApp[] = [primary];
  const apis: ApiClient[] = [];
  try {
    for (let i = 1; i < scenario.instances; i++) {
      apps.push(await createTestApp(CHAOS_SETTINGS, { databaseUrl: primary.databaseUrl }));
    }
    for (const app of apps) {
      await app.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = app.app.getHttpServer().address() as AddressInfo;
      apis.push(new ApiClient(`http://127.0.0.1:${port}`));
    }
    const concertIds: string[] = [];
    for (let i = 0; i < scenario.concerts; i++) {
      const concert = await createConcert(primary, {
        capacity: scenario.capacity,
        seats: scenario.seatsPerConcert,
        price: (i + 1) * 1_000,
      });
      concertIds.push(concert.id);
    }
    const users = await createUsers(primary, scenario.users);

    const sampler = startInvariantSampler(primary.db, { sweepIntervalMs, intervalMs: 250 });
    const report = await runChaosWorkload({
      apis,
      users,
      concertIds,
      durationMs: scenario.durationMs,
      maxOperations: scenario.maxOperations,
      holdSeconds: CHAOS_SETTINGS.RESERVATION_HOLD_SECONDS,
      seed: scenario.seed,
    }).finally(() => sampler.stop());
    const sampled = await sampler.stop();
    // Let every window and hold lapse and the sweepers reach them; then nothing may be left over.
    const lapse = Math.max(CHAOS_SETTINGS.QUEUE_WINDOW_SECONDS, CHAOS_SETTINGS.RESERVATION_HOLD_SECONDS) * 1000;
    await new Promise((resolve) => setTimeout(resolve, lapse + 3 * sweepIntervalMs));
    const final = await checkInvariants(primary.db, { sweepIntervalMs });
    return { report, sampled, final, sweepIntervalMs };
  } finally {
    await Promise.all(apis.map((api) => api.close()));
    for (const app of apps.reverse()) await app.close();
  }
}
