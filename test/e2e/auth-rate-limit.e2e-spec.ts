import { createTestApp, type TestApp } from '../helpers/test-app.js';

const LIMIT = 3;
const PASSWORD = 'correct horse battery';

describe('Auth rate limit', () => {
  let t: TestApp;
  let ipCounter = 0;
  // With TRUST_PROXY the client address comes from X-Forwarded-For, so each test can be its own client.
  const newClientIp = () => `203.0.113.${++ipCounter}`;

  beforeAll(async () => {
    t = await createTestApp({ AUTH_RATE_LIMIT_PER_MINUTE: LIMIT, TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  it('answers 429 RATE_LIMITED with Retry-After once an IP exceeds the login limit', async () => {
    const ip = newClientIp();
    const login = () =>
      t
        .http()
        .post('/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: 'nobody@example.com', password: PASSWORD });
    for (let i = 0; i < LIMIT; i++) expect((await login()).status).toBe(401);

    const res = await login();
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    // The rest of the one-minute window, not a generic second.
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('counts each client IP separately', async () => {
    const limited = newClientIp();
    for (let i = 0; i <= LIMIT; i++) {
      await t
        .http()
        .post('/auth/login')
        .set('X-Forwarded-For', limited)
        .send({ email: 'nobody@example.com', password: PASSWORD });
    }

    const other = await t
      .http()
      .post('/auth/login')
      .set('X-Forwarded-For', newClientIp())
      .send({ email: 'nobody@example.com', password: PASSWORD });
    expect(other.status).toBe(401);
  });

  it('limits register and refresh too, and rejects before doing any work', async () => {
    const ip = newClientIp();
    const emails = Array.from({ length: LIMIT + 1 }, (_, i) => `limited${i}-${Date.now()}@example.com`);
    const statuses: number[] = [];
    for (const email of emails) {
      statuses.push(
        (await t.http().post('/auth/register').set('X-Forwarded-For', ip).send({ email, password: PASSWORD }))
          .status,
      );
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    const { rows } = await t.db.query(`SELECT 1 FROM users WHERE email = $1`, [emails[LIMIT]]);
    expect(rows).toHaveLength(0);

    const refreshIp = newClientIp();
    const refreshStatuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) {
      refreshStatuses.push(
        (
          await t
            .http()
            .post('/auth/refresh')
            .set('X-Forwarded-For', refreshIp)
            .set('Authorization', 'Bearer a.b.c')
        ).status,
      );
    }
    expect(refreshStatuses).toEqual([401, 401, 401, 429]);
  });

  it('does not limit other routes', async () => {
    const ip = newClientIp();
    const session = (
      await t
        .http()
        .post('/auth/register')
        .set('X-Forwarded-For', ip)
        .send({ email: `me-${Date.now()}@example.com`, password: PASSWORD })
    ).body as { accessToken: string };

    for (let i = 0; i <= LIMIT + 1; i++) {
      await t
        .http()
        .get('/auth/me')
        .set('X-Forwarded-For', ip)
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(200);
    }
  });
});
