import { formatChaosOutcome, runChaosScenario } from '../helpers/chaos-scenario.js';

/** A positive integer from the environment, or the default. */
function sizeFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

const USERS = sizeFromEnv('STRESS_USERS', 300);
const SECONDS = sizeFromEnv('STRESS_SECONDS', 60);
const MAX_OPERATIONS = sizeFromEnv('STRESS_MAX_OPERATIONS', 250_000);

// `npm run stress`; the small version runs in `npm test` (test/e2e/chaos.e2e-spec.ts).
describe('Chaos under stress: hundreds of users on two app instances sharing one database', () => {
  it(
    'answers no 5xx, keeps the contract, and breaks no invariant during or after the run',
    async () => {
      const outcome = await runChaosScenario({
        users: USERS,
        durationMs: SECONDS * 1000,
        maxOperations: MAX_OPERATIONS,
        concerts: 4,
        capacity: 20,
        seatsPerConcert: 300,
        // Two instances, two sweepers: windows and holds are expired by whichever gets there first.
        instances: 2,
      });
      console.info(formatChaosOutcome(outcome));
      const { report, sampled, final } = outcome;

      expect(report.serverErrors).toEqual([]);
      expect(report.unexpected).toEqual([]);
      expect(report.anomalies).toEqual([]);
      expect(sampled.violations).toEqual([]);
      expect(final).toEqual([]);
      expect([...sampled.maxActive.values()].every(({ active, capacity }) => active <= capacity)).toBe(true);
      expect(report.answers.pay?.['200']).toBeGreaterThan(0);
    },
    (SECONDS + 120) * 1000,
  );
});
