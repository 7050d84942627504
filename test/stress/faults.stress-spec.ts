import { createConcert } from '../factories/concert.factory.js';
import { ApiClient } from '../helpers/api-client.js';
import { APP_ENTRY, isAppBuilt, startAppProcess, type AppProcess } from '../helpers/app-process.js';
import { CHAOS_SETTINGS, SAMPLED_EXPIRY_GRACE_MS, expectCleanRun } from '../helpers/chaos-scenario.js';
import { formatChaosReport, runChaosWorkload } from '../helpers/chaos-workload.js';
import { checkInvariants, startInvariantSampler } from '../helpers/invariants.js';
import { runKillNineScenario } from '../helpers/kill-scenario.js';
import { runPostgresRestartScenario } from '../helpers/postgres-restart-scenario.js';
import { createUsers, prepareChildApps } from '../helpers/test-app.js';
import { sizeFromEnv } from '../helpers/env-size.js';

const KILL_ROUNDS = sizeFromEnv('STRESS_KILL_ROUNDS', 3);
const PG_RESTARTS = sizeFromEnv('STRESS_PG_RESTARTS', 3);
const TWO_PROCESS_SECONDS = sizeFromEnv('STRESS_TWO_PROCESS_SECONDS', 30);

// The built app runs as child processes: `npm run build` first (STRESS_APP_ENTRY for another build).
if (!isAppBuilt())
  console.warn(`Skipping the process faults: ${APP_ENTRY} is missing (run \`npm run build\`).`);
const withBuild = isAppBuilt() ? describe : describe.skip;

withBuild('Fault: kill -9 of the server in the middle of payment bursts', () => {
  it('keeps every acknowledged operation, applies nothing halfway, and nothing twice after the restart', async () => {
    const outcome = await runKillNineScenario({ rounds: KILL_ROUNDS, users: 60 });
    console.info(
      `kill -9: ${outcome.kills} kills, ${outcome.requests} requests (${outcome.answered} answered in bursts, ` +
        `${outcome.cutOff} cut off), ${outcome.committedAtKill} payments committed at the kills of which ` +
        `${outcome.acknowledgedAtKill} acknowledged, answers ${JSON.stringify(outcome.answers)}`,
    );
    expect(outcome.kills).toBe(KILL_ROUNDS);
    expect(outcome.cutOff).toBeGreaterThan(0);
    expect(outcome.serverErrors).toEqual([]);
    expect(outcome.problems).toEqual([]);
    expect(outcome.violations).toEqual([]);
  }, 600_000);
});

describe('Fault: PostgreSQL restarts while the app serves', () => {
  it('answers 503 JSON while it is down, never 500, and recovers each time without an app restart', async () => {
    const outcome = await runPostgresRestartScenario({ users: 60, restarts: PG_RESTARTS, downMs: 2_000 });
    console.info(
      `PostgreSQL restarts: ${PG_RESTARTS}, requests: ${outcome.requests}, answers: ${JSON.stringify(outcome.answers)}`,
    );
    expect(outcome.badAnswers).toEqual([]);
    expect(outcome.whileDown.every((probe) => probe.status === 503)).toBe(true);
    expect(outcome.whileDown.map((probe) => (probe.body as { code?: string }).code)).not.toContain(undefined);
    expect(outcome.afterRecovery.every(({ status }) => status === 200)).toBe(true);
    expect(outcome.afterRecovery).toHaveLength(2 * PG_RESTARTS);
    expect(outcome.ledgerCharges).toBeGreaterThanOrEqual(outcome.confirmedCharges);
    expect(outcome.violations).toEqual([]);
  }, 600_000);
});

withBuild('Fault: two app processes on one database, both sweepers running', () => {
  it('processes no window or hold twice under the chaos workload', async () => {
    const { setup, env } = await prepareChildApps(
      Object.fromEntries(Object.entries(CHAOS_SETTINGS).map(([key, value]) => [key, String(value)])),
    );
    const processes: AppProcess[] = [];
    const apis: ApiClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        processes.push(await startAppProcess(env));
        apis.push(new ApiClient(processes[i]!.origin));
      }
      const concertIds: string[] = [];
      for (let i = 0; i < 3; i++) {
        const concert = await createConcert(setup, { capacity: 15, seats: 200, price: (i + 1) * 1_000 });
        concertIds.push(concert.id);
      }
      const users = await createUsers(setup, 200);
      const sweepIntervalMs = CHAOS_SETTINGS.EXPIRY_SWEEP_INTERVAL_MS;
      const sampler = startInvariantSampler(setup.db, {
        sweepIntervalMs,
        expiryGraceMs: SAMPLED_EXPIRY_GRACE_MS,
      });
      const report = await runChaosWorkload({
        apis,
        users,
        concertIds,
        durationMs: TWO_PROCESS_SECONDS * 1000,
        maxOperations: 200_000,
        holdSeconds: CHAOS_SETTINGS.RESERVATION_HOLD_SECONDS,
      }).finally(() => sampler.stop());
      const sampled = await sampler.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000 + 3 * sweepIntervalMs));
      const final = await checkInvariants(setup.db, { sweepIntervalMs });
      console.info(
        `two processes:\n${formatChaosReport(report)}\ninvariants: ${sampled.samples} samples, ` +
          `${sampled.violations.length} broken rules during, ${final.length} after; sweeper lateness seen: ` +
          `holds ${Math.round(sampled.maxLateMs.holds)} ms, windows ${Math.round(sampled.maxLateMs.windows)} ms`,
      );
      expectCleanRun({ report, sampled, final });
    } finally {
      await Promise.all(apis.map((api) => api.close()));
      await Promise.all(processes.map((process) => process.stop()));
      await setup.close();
    }
  }, 600_000);
});
