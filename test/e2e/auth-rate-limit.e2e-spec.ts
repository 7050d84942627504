import { PasswordHasher } from '../../src/auth/password-hasher.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const PASSWORD = 'correct horse battery';
const CROWD = 300;

/** The auth limits at their defaults (createTestApp turns them off for every other test file). */
describe('Auth rate limits', () => {
  let t: TestApp;
  let ipCounter = 0;
  // With TRUST_PROXY the client address comes from X-Forwarded-For, so each test can be its own client.
  const newClientIp = () => `203.0.113.${++ipCounter}`;
  const login = (ip: string, email: string, password = PASSWORD) =>
    t.http().post('/auth/login').set('X-Forwarded-For', ip).send({ email, password });

  beforeAll(async () => {
    t = await createTestApp({
      TRUST_PROXY: 'true',
      LOGIN_FAILURES_PER_EMAIL_PER_MINUTE: 10,
      LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: 300,
      REGISTRATIONS_PER_ADDRESS_PER_MINUTE: 100,
      REFRESHES_PER_SESSION_PER_MINUTE: 30,
    });
  });
  afterAll(() => t.close());

  it(`lets ${CROWD} people behind one address sign in within a minute, beside failed attempts`, async () => {
    // One real argon2id hash for everyone: the crowd is made in SQL, its logins are real.
    const hash = await new PasswordHasher().hash(PASSWORD);
    const prefix = `crowd-${Date.now()}`;
    await t.db.query(
      `INSERT INTO users (email, password_hash)
       SELECT format('%s-%s@example.com', $1::text, n), $2 FROM generate_series(1, $3::int) AS n`,
      [prefix, hash, CROWD],
    );
    const ip = newClientIp();
    const statuses: number[] = [];
    let next = 1;
    const worker = async () => {
      while (next <= CROWD) {
        const n = next++;
        statuses.push((await login(ip, `${prefix}-${n}@example.com`)).status);
        // A few typos in the crowd count against the address, not enough to stop it.
        if (n % 50 === 0)
          expect((await login(ip, `${prefix}-${n}@example.com`, 'typo typo')).status).toBe(401);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    expect(statuses).toEqual(Array(CROWD).fill(200));
  });

  it('refuses the 11th failed login for one email with 429 and Retry-After, from any address, right password or not', async () => {
    const email = `target-${Date.now()}@example.com`;
    await t.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);

    for (let i = 0; i < 10; i++)
      expect((await login(newClientIp(), email, 'wrong password')).status).toBe(401);

    const refused = await login(newClientIp(), email, 'wrong password');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    // The rest of the one-minute window, not a generic second.
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await login(newClientIp(), email)).status).toBe(429);
    // Other accounts are untouched.
    const other = `bystander-${Date.now()}@example.com`;
    await t.http().post('/auth/register').send({ email: other, password: PASSWORD }).expect(201);
    expect((await login(newClientIp(), other)).status).toBe(200);
  });

  it('limits refresh per session, not per address', async () => {
    const ip = newClientIp();
    const register = async () =>
      (
        await t
          .http()
          .post('/auth/register')
          .set('X-Forwarded-For', ip)
          .send({ email: `refresher-${Date.now()}-${Math.random()}@example.com`, password: PASSWORD })
          .expect(201)
      ).body as { refreshToken: string };
    const refresh = (token: string) =>
      t.http().post('/auth/refresh').set('X-Forwarded-For', ip).set('Authorization', `Bearer ${token}`);

    let token = (await register()).refreshToken;
    for (let i = 0; i < 30; i++) token = (await refresh(token).expect(200)).body.refreshToken;
    const refused = await refresh(token);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    await refresh((await register()).refreshToken).expect(200);
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

    for (let i = 0; i < 40; i++) {
      await t
        .http()
        .get('/auth/me')
        .set('X-Forwarded-For', ip)
        .set('Authorization', `Bearer ${session.accessToken}`)
        .expect(200);
    }
  });
});
