import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { Gauge, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config.js';
import { INVARIANT_NAMES, MetricsRepository } from './metrics.repository.js';

/** Session advisory lock (namespace, key): whoever holds it is the one replica that checks. */
const CHECKER_LOCK = [7003, 1] as const;
/** A check slower than this is cancelled rather than left holding a snapshot. */
const CHECK_STATEMENT_TIMEOUT_MS = 10_000;

/**
 * Checks the invariants that must never break, every METRICS_INVARIANTS_INTERVAL_MS, on one
 * replica: the one holding a session advisory lock on its own connection (one per replica,
 * outside the pool). If that replica dies its connection closes, the lock is freed, and
 * another takes over at its next tick. Only the checking replica exports the gauges, so a
 * stale value elsewhere cannot keep an alert ringing.
 */
@Injectable()
export class InvariantMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(InvariantMonitor.name);
  private readonly violations: Gauge<'invariant'>;
  private readonly checker: Gauge;
  private readonly checkedAt: Gauge;
  private client: pg.Client | null = null;
  private holdsLock = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    registry: Registry,
    private readonly config: AppConfig,
    private readonly repo: MetricsRepository,
  ) {
    const registers = [registry];
    this.violations = new Gauge({
      name: 'sail_invariant_violations',
      help: 'Rows breaking an invariant that must stay 0 (exported by the replica that checks)',
      labelNames: ['invariant'],
      registers,
    });
    this.checker = new Gauge({
      name: 'sail_invariants_checker',
      help: '1 on the replica that checks the invariants, 0 on the others',
      registers,
    });
    this.checkedAt = new Gauge({
      name: 'sail_invariants_last_check_timestamp_seconds',
      help: 'When this replica last finished an invariant check (Unix time)',
      registers,
    });
    this.checker.set(0);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.metrics.invariantsIntervalMs);
    void this.tick();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.disconnect();
  }

  /** One check; a check still running when the next tick comes is not overlapped. */
  tick(): Promise<void> {
    this.running ??= this.checkOnce()
      .catch(async (error: unknown) => {
        this.logger.warn(`Invariant check failed: ${String(error)}`);
        await this.disconnect();
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private async checkOnce(): Promise<void> {
    const client = await this.connect();
    if (!this.holdsLock) {
      const { rows } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock($1, $2) AS locked',
        [...CHECKER_LOCK],
      );
      this.holdsLock = rows[0]!.locked;
      this.checker.set(this.holdsLock ? 1 : 0);
      if (!this.holdsLock) return;
    }
    // Wallets changed since the previous checks, with a margin for a late or failed one.
    const walletWindowSeconds = (2 * this.config.metrics.invariantsIntervalMs) / 1000 + 60;
    const counts = await this.repo.countInvariantViolations(client, walletWindowSeconds);
    for (const invariant of INVARIANT_NAMES) this.violations.set({ invariant }, counts[invariant]);
    this.checkedAt.set(Date.now() / 1000);
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.config.databaseUrl,
      statement_timeout: CHECK_STATEMENT_TIMEOUT_MS,
      application_name: 'sail-invariants',
    });
    // A lost connection fails the next query; the check then reconnects at the next tick.
    client.on('error', (error) => this.logger.warn(`Invariant connection lost: ${error.message}`));
    await client.connect();
    this.client = client;
    return client;
  }

  /** Ending the session frees the lock; another replica (or this one, later) takes it over. */
  private async disconnect(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.holdsLock = false;
    this.checker.set(0);
    this.violations.reset();
    await client?.end().catch(() => undefined);
  }
}
