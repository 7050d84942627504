import { formatChaosOutcome, runChaosScenario, expectCleanRun } from '../helpers/chaos-scenario.js';
import { sizeFromEnv } from '../helpers/env-size.js';

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
      expectCleanRun(outcome);
      expect(outcome.report.answers.pay?.['200']).toBeGreaterThan(0);
    },
    (SECONDS + 120) * 1000,
  );
});
