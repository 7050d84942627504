import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp } from '../../src/app.setup.js';
import { AuthTokens } from '../../src/auth/auth-tokens.js';
import { validateEnv, type Env } from '../../src/config/env.validation.js';
import { randomBytes } from 'node:crypto';
import { createTestDatabase } from './database.js';

/** Tests of other features sign in freely from one address; test/e2e/auth-rate-limit.e2e-spec.ts turns them on. */
export const AUTH_LIMITS_OFF = {
  LOGIN_FAILURES_PER_EMAIL_PER_MINUTE: '0',
  LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: '0',
  REGISTRATIONS_PER_ADDRESS_PER_MINUTE: '0',
  REFRESHES_PER_SESSION_PER_MINUTE: '0',
};

export interface TestApp {
  app: NestFastifyApplication;
  /** supertest bound to the app's server */
  http: () => TestAgent;
  /** Direct SQL on the app's own database, for arranging state and checking invariants. */
  db: pg.Pool;
  databaseUrl: string;
  env: Env;
  close(): Promise<void>;
}

/**
 * The real app (same createApp as main.ts) on a fresh database of its own. Settings
 * come only from `overrides` and the defaults, never from the worker's process.env.
 */
export async function createTestApp(
  overrides: Record<string, string | number | boolean> = {},
  options: { databaseUrl?: string } = {},
): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const env = validateEnv({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    ...AUTH_LIMITS_OFF,
    DATABASE_POOL_SIZE: '10',
    ...Object.fromEntries(Object.entries(overrides).map(([key, value]) => [key, String(value)])),
    DATABASE_URL: databaseUrl,
  });
  const app = await createApp(env);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const db = new pg.Pool({ connectionString: databaseUrl, max: 5 });
  return {
    app,
    http: () => request(app.getHttpServer()),
    db,
    databaseUrl,
    env,
    async close() {
      await app.close();
      await db.end();
    },
  };
}

export interface TestUser {
  id: string;
  email: string;
  role: 'USER' | 'ADMIN';
  accessToken: string;
  headers: { Authorization: string };
}

let userCounter = 0;

/**
 * A user row inserted directly, with an access token signed as the auth module would.
 * Feature tests use this so they do not depend on the auth routes.
 */
export async function createUser(
  t: TestApp,
  options: { role?: 'USER' | 'ADMIN'; email?: string } = {},
): Promise<TestUser> {
  const role = options.role ?? 'USER';
  const email =
    options.email ??
    `user${++userCounter}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const { rows } = await t.db.query<{ id: string }>(
    `INSERT INTO users (email, password_hash, role) VALUES ($1, 'test-no-login', $2) RETURNING id`,
    [email, role],
  );
  const id = rows[0]!.id;
  const accessToken = await t.app.get(AuthTokens).signAccessToken(id, role);
  return { id, email, role, accessToken, headers: { Authorization: `Bearer ${accessToken}` } };
}

export async function createUsers(
  t: TestApp,
  count: number,
  options: { role?: 'USER' | 'ADMIN' } = {},
): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: count }, () => createUser(t, options)));
}

/**
 * For tests that run the built app as child processes: a fresh database, an in-process app on
 * it that arranges rows and signs tokens with the children's secrets (its sweeper off), and the
 * children's environment (production, quiet, no auth rate limit) plus `extraEnv`.
 */
export async function prepareChildApps(
  extraEnv: Record<string, string> = {},
): Promise<{ setup: TestApp; env: Record<string, string> }> {
  const secrets = {
    JWT_ACCESS_SECRET: randomBytes(32).toString('base64url'),
    JWT_REFRESH_SECRET: randomBytes(32).toString('base64url'),
  };
  const databaseUrl = await createTestDatabase();
  const setup = await createTestApp({ ...secrets, SWEEPER_ENABLED: false }, { databaseUrl });
  const env = {
    ...secrets,
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    ...AUTH_LIMITS_OFF,
    ...extraEnv,
  };
  return { setup, env };
}
