import { formatChaosOutcome, runChaosScenario, expectCleanRun } from '../helpers/chaos-scenario.js';

// The small version of `npm run stress` (test/stress/chaos.stress-spec.ts).
describe('Chaos: a crowd of users doing everything at once on two app instances', () => {
  it('answers no 5xx, keeps the contract, and breaks no invariant during or after the run', async () => {
    const outcome = await runChaosScenario({
      users: 120,
      durationMs: 12_000,
      maxOperations: 20_000,
      concerts: 3,
      capacity: 10,
      seatsPerConcert: 30,
      // Two app instances on one database, each with its sweeper: no window or hold may be processed twice.
      instances: 2,
    });
    console.info(formatChaosOutcome(outcome));
    const { report, sampled } = outcome;

    expectCleanRun(outcome);
    // The run did what it is for: sales, collisions, lapsed holds and a turning queue.
    expect(sampled.samples).toBeGreaterThan(5);
    expect(report.answers.pay?.['200']).toBeGreaterThan(0);
    expect(report.answers.pay?.['410 RESERVATION_EXPIRED']).toBeGreaterThan(0);
    expect(report.answers.hold?.['409 SEAT_ALREADY_RESERVED']).toBeGreaterThan(0);
    expect(report.answers['poll queue']?.['200']).toBeGreaterThan(report.users);
  }, 90_000);
});
