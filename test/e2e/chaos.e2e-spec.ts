import { runChaosScenario } from '../helpers/chaos-scenario.js';
import { formatChaosReport } from '../helpers/chaos-workload.js';

// The small version of `npm run stress` (test/stress/chaos.stress-spec.ts).
describe('Chaos: a crowd of users doing everything at once', () => {
  it('answers no 5xx, keeps the contract, and breaks no invariant during or after the run', async () => {
    const outcome = await runChaosScenario({
      users: 120,
      durationMs: 12_000,
      maxOperations: 20_000,
      concerts: 3,
      capacity: 10,
      seatsPerConcert: 30,
      instances: 1,
    });
    const { report, sampled, final } = outcome;
    console.info(
      `${formatChaosReport(report)}\ninvariants: ${sampled.samples} samples during the run, ` +
        `${sampled.violations.length} broken rules; ${final.length} after it`,
    );

    expect(report.serverErrors).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.anomalies).toEqual([]);
    expect(sampled.violations).toEqual([]);
    expect(final).toEqual([]);
    // The run did what it is for: payments, lapsed holds and turned-over windows all happened.
    expect(sampled.samples).toBeGreaterThan(5);
    expect(report.answers.pay?.['200']).toBeGreaterThan(0);
    expect(report.answers.pay?.['410 RESERVATION_EXPIRED']).toBeGreaterThan(0);
    expect(report.answers.hold?.['409 SEAT_ALREADY_RESERVED']).toBeGreaterThan(0);
  }, 90_000);
});
