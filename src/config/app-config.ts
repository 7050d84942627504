import { createSecretKey, type KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Env } from './env.validation.js';

/** Typed, validated configuration. Code reads settings here, never from process.env. */
@Injectable()
export class AppConfig {
  readonly nodeEnv: Env['NODE_ENV'];
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly databaseStatementTimeoutMs: number;
  readonly databaseConnectTimeoutMs: number;
  readonly jwt: {
    /**
     * The secrets as key objects, made once: given a string, jsonwebtoken tries to parse it
     * as a public key on every call before treating it as a secret (a third of the CPU of an
     * authenticated request in the benchmark).
     */
    accessKey: KeyObject;
    refreshKey: KeyObject;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  readonly refreshReuseGraceSeconds: number;
  readonly authLimits: {
    loginFailuresPerEmail: number;
    loginFailuresPerAddress: number;
    registrationsPerAddress: number;
    refreshesPerSession: number;
  };
  readonly queue: {
    activeCapacity: number;
    windowSeconds: number;
    claimSeconds: number;
    preQueueOpensSeconds: number;
  };
  readonly reservationHoldSeconds: number;
  readonly maxSeatsPerReservation: number;
  readonly sweeper: { enabled: boolean; intervalMs: number };
  readonly points: { maxCharge: number; maxBalance: number };
  readonly bodyLimitBytes: number;
  /** Off (enabled false) when neither a token nor a port is set. */
  readonly metrics: { enabled: boolean; token?: string; port?: number; invariantsIntervalMs: number };

  constructor(config: ConfigService<Env, true>) {
    const get = <K extends keyof Env>(key: K): Env[K] => config.get(key, { infer: true });
    this.nodeEnv = get('NODE_ENV');
    this.port = get('PORT');
    this.host = get('HOST');
    this.logLevel = get('LOG_LEVEL');
    const databaseUrl = get('DATABASE_URL');
    if (!databaseUrl)
      throw new Error(
        'DATABASE_URL is resolved before the app starts (see src/database/database-bootstrap.ts)',
      );
    this.databaseUrl = databaseUrl;
    this.databasePoolSize = get('DATABASE_POOL_SIZE');
    this.databaseStatementTimeoutMs = get('DATABASE_STATEMENT_TIMEOUT_MS');
    this.databaseConnectTimeoutMs = get('DATABASE_CONNECT_TIMEOUT_MS');
    this.jwt = {
      accessKey: createSecretKey(Buffer.from(get('JWT_ACCESS_SECRET'))),
      refreshKey: createSecretKey(Buffer.from(get('JWT_REFRESH_SECRET'))),
      accessTtlSeconds: get('JWT_ACCESS_TTL'),
      refreshTtlSeconds: get('JWT_REFRESH_TTL'),
    };
    this.refreshReuseGraceSeconds = get('REFRESH_REUSE_GRACE_SECONDS');
    this.authLimits = {
      loginFailuresPerEmail: get('LOGIN_FAILURES_PER_EMAIL_PER_MINUTE'),
      loginFailuresPerAddress: get('LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE'),
      registrationsPerAddress: get('REGISTRATIONS_PER_ADDRESS_PER_MINUTE'),
      refreshesPerSession: get('REFRESHES_PER_SESSION_PER_MINUTE'),
    };
    this.queue = {
      activeCapacity: get('QUEUE_ACTIVE_CAPACITY'),
      windowSeconds: get('QUEUE_WINDOW_SECONDS'),
      claimSeconds: get('QUEUE_CLAIM_SECONDS'),
      preQueueOpensSeconds: get('PRE_QUEUE_OPENS_SECONDS'),
    };
    this.reservationHoldSeconds = get('RESERVATION_HOLD_SECONDS');
    this.maxSeatsPerReservation = get('MAX_SEATS_PER_RESERVATION');
    this.sweeper = { enabled: get('SWEEPER_ENABLED'), intervalMs: get('EXPIRY_SWEEP_INTERVAL_MS') };
    this.points = { maxCharge: get('POINTS_MAX_CHARGE'), maxBalance: get('POINTS_MAX_BALANCE') };
    this.bodyLimitBytes = get('BODY_LIMIT_BYTES');
    const metricsToken = get('METRICS_TOKEN');
    const metricsPort = get('METRICS_PORT');
    this.metrics = {
      enabled: metricsToken !== undefined || metricsPort !== undefined,
      token: metricsToken,
      port: metricsPort,
      invariantsIntervalMs: get('METRICS_INVARIANTS_INTERVAL_MS'),
    };
  }
}
