import { runPostgresRestartScenario } from '../helpers/postgres-restart-scenario.js';

// Quick versions of test/stress/faults.stress-spec.ts. Two app instances with both sweepers
// running on one database are exercised by test/e2e/chaos.e2e-spec.ts.
describe('Faults: PostgreSQL restarts while the app serves', () => {
  it('answers 503 JSON while the database is down, never 500, and recovers without an app restart', async () => {
    const outcome = await runPostgresRestartScenario({ users: 20, restarts: 1, downMs: 1_000 });
    console.info(
      `PostgreSQL restarts: 1, requests: ${outcome.requests}, answers: ${JSON.stringify(outcome.answers)}`,
    );

    expect(outcome.badAnswers).toEqual([]);
    expect(outcome.whileDown.length).toBeGreaterThan(0);
    for (const probe of outcome.whileDown) {
      expect(probe).toMatchObject({
        status: 503,
        body: { statusCode: 503, error: 'Service Unavailable', code: 'SERVICE_UNAVAILABLE' },
        retryAfter: expect.any(String),
      });
      expect(typeof (probe.body as { message: unknown }).message).toBe('string');
    }
    expect(outcome.afterRecovery.every(({ status }) => status === 200)).toBe(true);
    // The load ran on both sides of the outage.
    expect(outcome.answers['503 SERVICE_UNAVAILABLE']).toBeGreaterThan(0);
    expect(outcome.answers['200']).toBeGreaterThan(0);
    // A charge confirmed is in the ledger; one whose answer was lost in the outage may be too.
    expect(outcome.ledgerCharges).toBeGreaterThanOrEqual(outcome.confirmedCharges);
    expect(outcome.violations).toEqual([]);
  }, 60_000);
});
