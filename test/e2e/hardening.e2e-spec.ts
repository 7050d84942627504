import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startAppProcess, isAppBuilt } from '../helpers/app-process.js';
import { createTestDatabase } from '../helpers/database.js';
import { checkInvariants } from '../helpers/invariants.js';
import { AUTH_LIMITS_OFF, createTestApp, createUser, type TestApp } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

describe('Security headers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('sends helmet headers on answers and errors alike, and no x-powered-by', async () => {
    for (const res of [await t.http().get('/health'), await t.http().get('/points')]) {
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'strict-transport-security': expect.stringContaining('max-age='),
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'x-dns-prefetch-control': 'off',
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('allows no cross-origin caller while CORS_ORIGINS is empty', async () => {
    const res = await t
      .http()
      .options('/points')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'GET');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS_ORIGINS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ CORS_ORIGINS: 'https://tickets.example, https://admin.example' });
  });
  afterAll(() => t.close());

  it('answers a preflight from a configured origin, and exposes Retry-After and x-request-id', async () => {
    const preflight = await t
      .http()
      .options('/payment')
      .set('Origin', 'https://admin.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://admin.example');

    const user = await createUser(t);
    const res = await t
      .http()
      .get('/points')
      .set(user.headers)
      .set('Origin', 'https://tickets.example')
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://tickets.example');
    expect(res.headers['access-control-expose-headers']).toMatch(/Retry-After/i);
    expect(res.headers['access-control-expose-headers']).toMatch(/x-request-id/i);
  });

  it('does not allow any other origin', async () => {
    const preflight = await t
      .http()
      .options('/payment')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('Database limits', () => {
  /** Holds a row lock from outside the app until release() is called. */
  async function lockWallet(databaseUrl: string, userId: string) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT balance FROM point_wallets WHERE user_id = $1 FOR UPDATE', [userId]);
    return {
      async release() {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }

  const waitingOnLocks = async (t: TestApp, count: number) => {
    const { rows } = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return rows[0]!.n >= count;
  };

  it('cancels a statement stuck past DATABASE_STATEMENT_TIMEOUT_MS with 503, keeps serving others, and lets the retry succeed', async () => {
    const t = await createTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: 300, SWEEPER_ENABLED: false });
    try {
      const [stuck, other] = await Promise.all([createUser(t), createUser(t)]);
      await t.http().patch('/points/charge').set(stuck.headers).send({ amount: 100 }).expect(200);
      const lock = await lockWallet(t.databaseUrl, stuck.id);
      const key = randomUUID();
      let res;
      try {
        res = await t
          .http()
          .patch('/points/charge')
          .set(stuck.headers)
          .set('Idempotency-Key', key)
          .send({ amount: 50 });
        await t.http().get('/points').set(other.headers).expect(200);
      } finally {
        await lock.release();
      }
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
      expect(res.headers['retry-after']).toBeDefined();

      // The cancelled attempt released its key and applied nothing: the retry charges once.
      const retry = await t
        .http()
        .patch('/points/charge')
        .set(stuck.headers)
        .set('Idempotency-Key', key)
        .send({ amount: 50 })
        .expect(200);
      expect(retry.body).toEqual({ points: 150, chargeAmount: 50 });
      expect(await checkInvariants(t.db)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('answers 503 after DATABASE_CONNECT_TIMEOUT_MS when every pool connection is busy, and recovers', async () => {
    const t = await createTestApp({
      DATABASE_POOL_SIZE: 2,
      DATABASE_CONNECT_TIMEOUT_MS: 300,
      SWEEPER_ENABLED: false,
    });
    try {
      const [stuck, other] = await Promise.all([createUser(t), createUser(t)]);
      await t.http().patch('/points/charge').set(stuck.headers).send({ amount: 100 }).expect(200);
      const lock = await lockWallet(t.databaseUrl, stuck.id);
      let blocked: Promise<{ status: number }[]>;
      let starved;
      try {
        // Two charges wait on the lock, each holding one of the pool's two connections.
        blocked = Promise.all(
          [1, 2].map(() => t.http().patch('/points/charge').set(stuck.headers).send({ amount: 10 })),
        );
        await waitFor(() => waitingOnLocks(t, 2));
        starved = await t.http().get('/points').set(other.headers);
      } finally {
        await lock.release();
      }
      expect(starved.status).toBe(503);
      expect(starved.body).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
      expect((await blocked).map((res) => res.status)).toEqual([200, 200]);
      await t.http().get('/points').set(other.headers).expect(200);
      expect(await checkInvariants(t.db)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

// The built app, as production runs it, so that its real logger writes to a pipe we can read.
(isAppBuilt() ? describe : describe.skip)('Logs (dist/main.js)', () => {
  it('never contain a password, a token, an Idempotency-Key or a secret, even at LOG_LEVEL=trace and on a 5xx', async () => {
    const secrets = { access: randomUUID() + randomUUID(), refresh: randomUUID() + randomUUID() };
    const databaseUrl = await createTestDatabase();
    const app = await startAppProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'trace',
      DATABASE_URL: databaseUrl,
      DATABASE_STATEMENT_TIMEOUT_MS: '300',
      JWT_ACCESS_SECRET: secrets.access,
      JWT_REFRESH_SECRET: secrets.refresh,
      ...AUTH_LIMITS_OFF,
      // A rotated token presented again is reuse at once, not a replay within the grace.
      REFRESH_REUSE_GRACE_SECONDS: '0',
    });
    try {
      const password = `pw-${randomUUID()}`;
      const key = `key-${randomUUID()}`;
      const call = (
        path: string,
        init: { method?: string; token?: string; body?: unknown; key?: string } = {},
      ) =>
        fetch(`${app.origin}${path}`, {
          method: init.method ?? 'GET',
          headers: {
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
            ...(init.key ? { 'idempotency-key': init.key } : {}),
          },
          body: init.body === undefined ? undefined : JSON.stringify(init.body),
        }).then(async (response) => ({
          status: response.status,
          body: (await response.json().catch(() => null)) as Record<string, string>,
        }));

      const email = `logs-${randomUUID()}@example.com`;
      const session = await call('/auth/register', { method: 'POST', body: { email, password } });
      expect(session.status).toBe(201);
      const { userId, accessToken, refreshToken } = session.body;
      expect(
        (await call('/auth/login', { method: 'POST', body: { email, password: `${password}!` } })).status,
      ).toBe(401);
      expect((await call('/auth/login', { method: 'POST', body: { email, password: 42 } })).status).toBe(400);
      const charge = { method: 'PATCH', token: accessToken, key, body: { amount: 100 } };
      expect((await call('/points/charge', charge)).status).toBe(200);
      expect((await call('/points/charge', { ...charge, body: { amount: 'x' } })).status).toBe(400);

      // A 5xx is logged with its exception: make one while the request carries every secret.
      const lock = new pg.Client({ connectionString: databaseUrl });
      await lock.connect();
      await lock.query('BEGIN');
      await lock.query('SELECT 1 FROM point_wallets WHERE user_id = $1 FOR UPDATE', [userId]);
      const stuck = await call('/points/charge', { ...charge, key: `${key}-2` });
      await lock.query('ROLLBACK');
      await lock.end();
      expect(stuck.status).toBe(503);

      const rotated = await call('/auth/refresh', { method: 'POST', token: refreshToken });
      expect(rotated.status).toBe(200);
      // Presenting a rotated token again is logged as a warning.
      expect((await call('/auth/refresh', { method: 'POST', token: refreshToken })).status).toBe(401);
      await call('/auth/logout', {
        method: 'POST',
        token: accessToken,
        body: { refreshToken: rotated.body.refreshToken },
      });
      await call('/auth/me', { token: `${accessToken}x` });

      // A graceful stop flushes the logger; then every line is in.
      await app.stop();
      const logs = app.output();
      expect(logs).toMatch(/"level":50.*statement timeout/); // the 5xx was logged, exception and all
      expect(logs).toMatch(/"level":40.*Refresh token reused/);
      // One line per request, with its id and outcome: 2xx at info, 4xx at debug, 5xx at error.
      expect(logs).toMatch(
        /"level":30,.*"req":\{"id":"[\w-]+","method":"POST","url":"\/auth\/register"\},"res":\{"statusCode":201\}/,
      );
      expect(logs).toMatch(/"level":20,.*"url":"\/auth\/login"\},"res":\{"statusCode":401\}/);
      expect(logs).toMatch(/"level":50,.*"url":"\/points\/charge"\},"res":\{"statusCode":503\}/);
      for (const secret of [
        password,
        key,
        accessToken,
        refreshToken,
        rotated.body.refreshToken!,
        secrets.access,
        secrets.refresh,
      ]) {
        expect(logs).not.toContain(secret);
      }
      // Not even the signature part of a token.
      expect(logs).not.toContain(accessToken!.split('.')[2]!);
    } finally {
      await app.stop();
    }
  });
});
