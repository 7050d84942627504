import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import { DEVELOPMENT_SECRETS, PUBLISHED_SECRETS } from './published-secrets.js';

/** A JWT secret needs at least this many bytes (HS256 keys should be as long as the hash, RFC 7518). */
export const MIN_SECRET_BYTES = 32;

// Reads the raw string (obj[key]): implicit conversion would already have turned "false" into true.
const toBoolean = ({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
  const raw = obj[key];
  if (typeof raw !== 'string') return raw;
  if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
  if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
  return raw;
};

/** Every environment variable the service reads, with its default. */
export class Env {
  @IsIn(['development', 'test', 'production']) NODE_ENV: 'development' | 'test' | 'production' =
    'development';
  @IsInt() @Min(0) @Max(65535) PORT: number = 3000;
  @IsString() HOST: string = '0.0.0.0';
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL: string = 'info';

  /** Unset: an embedded PostgreSQL under EMBEDDED_DB_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;
  @IsString() EMBEDDED_DB_DIR: string = '.data/postgres';
  @IsInt() @Min(1) @Max(500) DATABASE_POOL_SIZE: number = 10;
  @IsInt() @Min(100) DATABASE_STATEMENT_TIMEOUT_MS: number = 10_000;
  /** How long a request waits for a free pool connection before it is answered 503. */
  @IsInt() @Min(100) DATABASE_CONNECT_TIMEOUT_MS: number = 5_000;
  @Transform(toBoolean) @IsBoolean() MIGRATE_ON_BOOT: boolean = true;
  /** Seeds demo concerts into an empty database on boot. Defaults to true on the embedded database only. */
  @IsOptional() @Transform(toBoolean) @IsBoolean() SEED_ON_BOOT?: boolean;

  @IsString() JWT_ACCESS_SECRET: string = DEVELOPMENT_SECRETS.access;
  @IsString() JWT_REFRESH_SECRET: string = DEVELOPMENT_SECRETS.refresh;
  @IsInt() @Min(1) JWT_ACCESS_TTL: number = 900;
  @IsInt() @Min(1) JWT_REFRESH_TTL: number = 1_209_600;
  /** A rotated refresh token presented again within this many seconds gets the same successor pair. */
  @IsInt() @Min(0) @Max(300) REFRESH_REUSE_GRACE_SECONDS: number = 30;
  /** Per replica and minute; 0 turns a limit off (see AuthLimits). */
  @IsInt() @Min(0) LOGIN_FAILURES_PER_EMAIL_PER_MINUTE: number = 10;
  /** Sized for thousands of people behind one carrier NAT or campus network: successes never count. */
  @IsInt() @Min(0) LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: number = 300;
  @IsInt() @Min(0) REGISTRATIONS_PER_ADDRESS_PER_MINUTE: number = 100;
  @IsInt() @Min(0) REFRESHES_PER_SESSION_PER_MINUTE: number = 30;

  @IsInt() @Min(1) @Max(100_000) QUEUE_ACTIVE_CAPACITY: number = 5;
  @IsInt() @Min(1) QUEUE_WINDOW_SECONDS: number = 300;
  @IsInt() @Min(1) @Max(3_600) QUEUE_CLAIM_SECONDS: number = 30;
  /** Default per concert: how long before its salesOpenAt the pre-queue takes entries. */
  @IsInt() @Min(0) @Max(7 * 86_400) PRE_QUEUE_OPENS_SECONDS: number = 1800;
  @IsInt() @Min(1) RESERVATION_HOLD_SECONDS: number = 300;
  @IsInt() @Min(1) @Max(50) MAX_SEATS_PER_RESERVATION: number = 4;
  @IsInt() @Min(50) EXPIRY_SWEEP_INTERVAL_MS: number = 1000;
  @Transform(toBoolean) @IsBoolean() SWEEPER_ENABLED: boolean = true;

  @IsInt() @Min(1) POINTS_MAX_CHARGE: number = 1_000_000;
  @IsInt() @Min(1) @Max(2_000_000_000) POINTS_MAX_BALANCE: number = 100_000_000;

  @IsInt() @Min(1024) BODY_LIMIT_BYTES: number = 102_400;
  /**
   * Which proxies may set X-Forwarded-For (the client address that rate limits key on):
   * "false" (none, the default), "true" (any: only behind a proxy that overwrites it),
   * a hop count such as "1", or a comma-separated list of proxy addresses or CIDRs.
   */
  @Matches(/^(true|false|\d+|[\d.:a-fA-F/]+(\s*,\s*[\d.:a-fA-F/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count or a list of addresses',
  })
  TRUST_PROXY: string = 'false';
  /** Comma-separated origins, or * for any. Unset: pages on localhost in development, none otherwise. */
  @IsOptional() @IsString() CORS_ORIGINS?: string;

  /** GET /metrics needs `Authorization: Bearer <this>`. With neither this nor METRICS_PORT, metrics are off. */
  @IsOptional() @IsString() @MinLength(16) METRICS_TOKEN?: string;
  /** Serves GET /metrics on this port instead of PORT (keep it off the public network). */
  @IsOptional() @IsInt() @Min(1) @Max(65535) METRICS_PORT?: number;
  /** How often one replica checks the invariant gauges. */
  @IsInt() @Min(100) METRICS_INVARIANTS_INTERVAL_MS: number = 30_000;
  /** Swagger UI at /docs and the document at /docs-json; public, since the API is. */
  @Transform(toBoolean) @IsBoolean() DOCS_ENABLED: boolean = true;
}

/** Thrown when the environment is invalid; main.ts prints `message` as one line and exits. */
export class InvalidEnvironmentError extends Error {}

/** TRUST_PROXY in the form Fastify's trustProxy option takes. */
export function trustProxySetting(
  value: string,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return value.split(',').map((address) => address.trim());
}

export function validateEnv(raw: Record<string, unknown>): Env {
  const input = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(Env, input, { enableImplicitConversion: true, exposeDefaultValues: true });
  const problems = validateSync(env, { skipMissingProperties: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );
  for (const name of ['JWT_ACCESS_SECRET', 'JWT_REFRESH_SECRET'] as const) {
    const secret = env[name];
    if (typeof secret !== 'string') continue;
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES)
      problems.push(`${name} must be at least ${MIN_SECRET_BYTES} bytes`);
    else if (env.NODE_ENV === 'production' && PUBLISHED_SECRETS.includes(secret))
      problems.push(
        `${name} must be set in production to a value of your own (this one is published in the repository)`,
      );
    else if (env.NODE_ENV === 'production' && new Set(secret).size < 8)
      problems.push(`${name} must be random (it repeats a few characters)`);
  }
  if (env.JWT_ACCESS_SECRET === env.JWT_REFRESH_SECRET)
    problems.push('JWT_ACCESS_SECRET and JWT_REFRESH_SECRET must differ');
  if (env.NODE_ENV === 'production' && !env.DATABASE_URL)
    problems.push('DATABASE_URL must be set in production (the embedded database is for local use)');
  if (problems.length) throw new InvalidEnvironmentError(`Invalid configuration: ${problems.join('; ')}`);
  return env;
}
