import { createHash } from 'node:crypto';
import type { Response } from 'supertest';
import { legacyScryptHash } from '../factories/legacy-password-hash.js';
import { createTestApp, createUser, type TestApp } from '../helpers/test-app.js';

const PASSWORD = 'correct horse battery';

let emailCounter = 0;
const uniqueEmail = () => `auth${++emailCounter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function expectUnauthenticated(res: Response, code = 'UNAUTHENTICATED') {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ statusCode: 401, code });
  expect(res.headers['www-authenticate']).toBe('Bearer');
}

describe('Auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const register = async (email = uniqueEmail(), password = PASSWORD) => {
    const res = await t.http().post('/auth/register').send({ email, password }).expect(201);
    return res.body as { userId: string; accessToken: string; refreshToken: string };
  };
  const refresh = (refreshToken: string) => t.http().post('/auth/refresh').set(bearer(refreshToken));

  describe('POST /auth/register', () => {
    it('creates an account and returns a working token pair', async () => {
      const email = uniqueEmail();
      const res = await t.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201);

      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'refreshToken', 'userId']);
      expect(claimsOf(res.body.accessToken)).toMatchObject({
        sub: res.body.userId,
        role: 'USER',
        typ: 'access',
      });
      expect(claimsOf(res.body.refreshToken)).toMatchObject({ sub: res.body.userId, typ: 'refresh' });
      const me = await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
      expect(me.body).toEqual({ userId: res.body.userId, email, role: 'USER' });
    });

    it('stores a salted argon2id hash, never the password, and only a SHA-256 of the refresh token', async () => {
      const first = await register(uniqueEmail(), PASSWORD);
      const second = await register(uniqueEmail(), PASSWORD);

      const { rows: users } = await t.db.query<{ password_hash: string }>(
        `SELECT password_hash FROM users WHERE id = ANY($1::uuid[])`,
        [[first.userId, second.userId]],
      );
      expect(users).toHaveLength(2);
      for (const { password_hash } of users) {
        expect(password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[\w+/]+\$[\w+/]+$/);
        expect(password_hash).not.toContain(PASSWORD);
      }
      // Same password, different salts.
      expect(users[0]!.password_hash).not.toBe(users[1]!.password_hash);
      const { rows: tokens } = await t.db.query<{ token_hash: string }>(
        `SELECT token_hash FROM refresh_tokens WHERE user_id = $1`,
        [first.userId],
      );
      expect(tokens).toEqual([{ token_hash: createHash('sha256').update(first.refreshToken).digest('hex') }]);
    });

    it('trims and lower-cases the email', async () => {
      const local = `mixed${Date.now()}`;
      const session = await register(`  ${local.toUpperCase()}@Example.COM `);

      const me = await t.http().get('/auth/me').set(bearer(session.accessToken)).expect(200);
      expect(me.body.email).toBe(`${local}@example.com`);
      await t
        .http()
        .post('/auth/login')
        .send({ email: `${local}@EXAMPLE.com`, password: PASSWORD })
        .expect(200);
    });

    it('answers 409 EMAIL_ALREADY_REGISTERED for an existing email, whatever its case', async () => {
      const email = uniqueEmail();
      await register(email);

      const res = await t
        .http()
        .post('/auth/register')
        .send({ email: email.toUpperCase(), password: 'another password' })
        .expect(409);
      expect(res.body).toMatchObject({ statusCode: 409, code: 'EMAIL_ALREADY_REGISTERED' });
      const { rows } = await t.db.query(`SELECT 1 FROM users WHERE email = $1`, [email]);
      expect(rows).toHaveLength(1);
    });

    it('lets exactly one of 20 concurrent registrations of one email succeed', async () => {
      const email = uniqueEmail();
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => t.http().post('/auth/register').send({ email, password: PASSWORD })),
      );

      expect(responses.filter((res) => res.status === 201)).toHaveLength(1);
      const conflicts = responses.filter((res) => res.status === 409);
      expect(conflicts).toHaveLength(19);
      for (const res of conflicts) expect(res.body.code).toBe('EMAIL_ALREADY_REGISTERED');
      const { rows } = await t.db.query(`SELECT 1 FROM users WHERE email = $1`, [email]);
      expect(rows).toHaveLength(1);
    });

    it('never grants the ADMIN role, whatever the email', async () => {
      const session = await register('  Admin@Example.com');

      expect(claimsOf(session.accessToken).role).toBe('USER');
      const me = await t.http().get('/auth/me').set(bearer(session.accessToken)).expect(200);
      expect(me.body).toMatchObject({ email: 'admin@example.com', role: 'USER' });
    });

    it.each([
      ['a missing body', undefined],
      ['a missing password', { email: 'x@example.com' }],
      ['a missing email', { password: PASSWORD }],
      ['an invalid email', { email: 'not-an-email', password: PASSWORD }],
      [
        'an email longer than 254 characters',
        { email: `${'a'.repeat(64)}@${'b'.repeat(185)}.example.com`, password: PASSWORD },
      ],
      ['a 7-character password', { email: 'x@example.com', password: '1234567' }],
      ['a 129-character password', { email: 'x@example.com', password: 'p'.repeat(129) }],
      ['a non-string password', { email: 'x@example.com', password: 12345678 }],
      ['a non-string email', { email: ['x@example.com'], password: PASSWORD }],
      ['an unknown field', { email: 'x@example.com', password: PASSWORD, role: 'ADMIN' }],
    ])('answers 400 for %s and creates nothing', async (_case, body) => {
      const before = await t.db.query(`SELECT count(*)::int AS n FROM users`);
      const res = await t.http().post('/auth/register').send(body).expect(400);

      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      const after = await t.db.query(`SELECT count(*)::int AS n FROM users`);
      expect(after.rows[0].n).toBe(before.rows[0].n);
    });

    it('accepts passwords of exactly 8 and 128 characters', async () => {
      await t.http().post('/auth/register').send({ email: uniqueEmail(), password: '12345678' }).expect(201);
      await t
        .http()
        .post('/auth/register')
        .send({ email: uniqueEmail(), password: 'p'.repeat(128) })
        .expect(201);
    });
  });

  describe('POST /auth/login', () => {
    it('returns 200 with a new session for the right password', async () => {
      const email = uniqueEmail();
      const registered = await register(email);

      const res = await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'refreshToken', 'userId']);
      expect(res.body.userId).toBe(registered.userId);
      expect(res.body.refreshToken).not.toBe(registered.refreshToken);
      await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
      await refresh(res.body.refreshToken).expect(200);
    });

    it('answers a wrong password and an unknown email with the same 401', async () => {
      const email = uniqueEmail();
      await register(email);

      const wrongPassword = await t.http().post('/auth/login').send({ email, password: 'wrong password' });
      const unknownEmail = await t
        .http()
        .post('/auth/login')
        .send({ email: uniqueEmail(), password: PASSWORD });
      expectUnauthenticated(wrongPassword, 'INVALID_CREDENTIALS');
      expectUnauthenticated(unknownEmail, 'INVALID_CREDENTIALS');
      expect(unknownEmail.body).toEqual(wrongPassword.body);
    });

    it('refuses an account whose stored hash is not one of ours with 401, not 500', async () => {
      const user = await createUser(t);
      const res = await t.http().post('/auth/login').send({ email: user.email, password: PASSWORD });
      expectUnauthenticated(res, 'INVALID_CREDENTIALS');
    });

    it('signs in with a scrypt hash of the earlier scheme and replaces it with argon2id', async () => {
      const email = uniqueEmail();
      const scrypt = legacyScryptHash(PASSWORD, { N: 2 ** 15, r: 8, p: 3 });
      await t.db.query(`INSERT INTO users (email, password_hash) VALUES ($1, $2)`, [email, scrypt]);

      await t.http().post('/auth/login').send({ email, password: 'wrong password' }).expect(401);
      const stillOld = await t.db.query(`SELECT password_hash FROM users WHERE email = $1`, [email]);
      expect(stillOld.rows[0].password_hash).toBe(scrypt);

      await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200);
      const { rows } = await t.db.query(`SELECT password_hash FROM users WHERE email = $1`, [email]);
      expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200);
      await t.http().post('/auth/login').send({ email, password: 'wrong password' }).expect(401);
    });

    it('answers 400 for malformed input', async () => {
      const res = await t
        .http()
        .post('/auth/login')
        .send({ email: 'nobody', password: PASSWORD })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates: returns a new pair and the presented token stops working', async () => {
      const session = await register();

      const res = await refresh(session.refreshToken).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['accessToken', 'refreshToken']);
      expect(res.body.refreshToken).not.toBe(session.refreshToken);
      expect(claimsOf(res.body.accessToken)).toMatchObject({
        sub: session.userId,
        role: 'USER',
        typ: 'access',
      });
      await t.http().get('/auth/me').set(bearer(res.body.accessToken)).expect(200);
      await refresh(res.body.refreshToken).expect(200);
    });

    /** Moves a token's rotation back in time, past REFRESH_REUSE_GRACE_SECONDS (30 by default). */
    const endGrace = (refreshToken: string) =>
      t.db.query(`UPDATE refresh_tokens SET rotated_at = rotated_at - interval '31 seconds' WHERE id = $1`, [
        claimsOf(refreshToken).jti,
      ]);

    it('revokes the whole family when a rotated token comes back after the grace, and leaves other sessions alone', async () => {
      const email = uniqueEmail();
      const session = await register(email);
      const otherDevice = (await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200))
        .body;
      const rotated = (await refresh(session.refreshToken).expect(200)).body;
      await endGrace(session.refreshToken);

      expectUnauthenticated(await refresh(session.refreshToken), 'REFRESH_TOKEN_REUSED');
      expectUnauthenticated(await refresh(rotated.refreshToken));
      await refresh(otherDevice.refreshToken).expect(200);
    });

    it('answers 8 parallel refreshes with one token all with the same new pair, which works', async () => {
      const session = await register();

      const responses = await Promise.all(Array.from({ length: 8 }, () => refresh(session.refreshToken)));

      expect(responses.map((res) => res.status)).toEqual(Array(8).fill(200));
      const pairs = new Set(responses.map((res) => `${res.body.accessToken} ${res.body.refreshToken}`));
      expect(pairs.size).toBe(1);
      const { rows } = await t.db.query<{ rotated: boolean; revoked: boolean }>(
        `SELECT rotated_at IS NOT NULL AS rotated, revoked_at IS NOT NULL AS revoked FROM refresh_tokens
         WHERE family_id = $1 ORDER BY rotated_at NULLS LAST`,
        [claimsOf(session.refreshToken).sid],
      );
      expect(rows).toEqual([
        { rotated: true, revoked: false },
        { rotated: false, revoked: false },
      ]);
      const [pair] = responses;
      await t.http().get('/auth/me').set(bearer(pair!.body.accessToken)).expect(200);
      await refresh(pair!.body.refreshToken).expect(200);
    });

    it('replays the same pair within the grace, and after it revokes the family, successor included', async () => {
      const session = await register();
      const first = (await refresh(session.refreshToken).expect(200)).body;

      const again = (await refresh(session.refreshToken).expect(200)).body;
      expect(again).toEqual(first);

      await endGrace(session.refreshToken);
      expectUnauthenticated(await refresh(session.refreshToken), 'REFRESH_TOKEN_REUSED');
      expectUnauthenticated(await refresh(first.refreshToken));
      const { rows } = await t.db.query(
        `SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NULL`,
        [claimsOf(session.refreshToken).sid],
      );
      expect(rows).toHaveLength(0);
    });

    it('refuses a refresh token whose row has expired on the database clock', async () => {
      const session = await register();
      await t.db.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, [
        claimsOf(session.refreshToken).jti,
      ]);

      expectUnauthenticated(await refresh(session.refreshToken));
    });

    it('refuses an access token with 401', async () => {
      const session = await register();
      expectUnauthenticated(await refresh(session.accessToken));
    });

    it('refuses a tampered refresh token', async () => {
      const session = await register();
      const [header, , signature] = session.refreshToken.split('.');
      const otherUser = await register();
      const forged = `${header}.${base64url({ ...claimsOf(session.refreshToken), sub: otherUser.userId })}.${signature}`;

      expectUnauthenticated(await refresh(forged));
    });

    it('refuses an unsigned (alg: none) refresh token', async () => {
      const session = await register();
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsOf(session.refreshToken))}.`;

      expectUnauthenticated(await refresh(unsigned));
    });

    it.each([
      ['no Authorization header', undefined],
      ['an empty Bearer', 'Bearer '],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a token that is not a JWT', 'Bearer not-a-jwt'],
      ['a JWT of garbage', 'Bearer aaa.bbb.ccc'],
    ])('answers 401 with WWW-Authenticate for %s', async (_case, header) => {
      const request = t.http().post('/auth/refresh');
      expectUnauthenticated(await (header === undefined ? request : request.set('Authorization', header)));
    });
  });

  describe('POST /auth/logout', () => {
    it('revokes the session of the given refresh token and no other, idempotently', async () => {
      const email = uniqueEmail();
      const session = await register(email);
      const otherDevice = (await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200))
        .body;
      const rotated = (await refresh(session.refreshToken).expect(200)).body;

      // Any token of the family names it, even the one that was already rotated.
      await t
        .http()
        .post('/auth/logout')
        .set(bearer(session.accessToken))
        .send({ refreshToken: session.refreshToken })
        .expect(204);
      await t
        .http()
        .post('/auth/logout')
        .set(bearer(session.accessToken))
        .send({ refreshToken: session.refreshToken })
        .expect(204);

      expectUnauthenticated(await refresh(rotated.refreshToken));
      await refresh(otherDevice.refreshToken).expect(200);
    });

    it('with the access token alone, ends that session and no other', async () => {
      const email = uniqueEmail();
      const session = await register(email);
      const otherDevice = (await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200))
        .body;
      const rotated = (await refresh(session.refreshToken).expect(200)).body;
      expect(claimsOf(rotated.accessToken).sid).toBe(claimsOf(session.accessToken).sid);

      await t.http().post('/auth/logout').set(bearer(rotated.accessToken)).expect(204);
      await t.http().post('/auth/logout').set(bearer(rotated.accessToken)).send({}).expect(204);

      expectUnauthenticated(await refresh(rotated.refreshToken));
      expectUnauthenticated(await refresh(session.refreshToken));
      await refresh(otherDevice.refreshToken).expect(200);
    });

    it("answers 403 for another user's refresh token and revokes nothing", async () => {
      const mine = await register();
      const theirs = await register();

      const res = await t
        .http()
        .post('/auth/logout')
        .set(bearer(mine.accessToken))
        .send({ refreshToken: theirs.refreshToken })
        .expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
      await refresh(theirs.refreshToken).expect(200);
    });

    it('needs an access token', async () => {
      const session = await register();
      expectUnauthenticated(await t.http().post('/auth/logout').send({ refreshToken: session.refreshToken }));
      expectUnauthenticated(
        await t
          .http()
          .post('/auth/logout')
          .set(bearer(session.refreshToken))
          .send({ refreshToken: session.refreshToken }),
      );
      await refresh(session.refreshToken).expect(200);
    });

    it('answers 401 for an access token in place of the refresh token', async () => {
      const session = await register();
      const res = await t
        .http()
        .post('/auth/logout')
        .set(bearer(session.accessToken))
        .send({ refreshToken: session.accessToken });
      expectUnauthenticated(res);
      await refresh(session.refreshToken).expect(200);
    });
  });

  describe('GET /auth/me', () => {
    it('answers 401 with WWW-Authenticate without a token', async () => {
      expectUnauthenticated(await t.http().get('/auth/me'));
    });

    it('refuses a refresh token in place of an access token', async () => {
      const session = await register();
      expectUnauthenticated(await t.http().get('/auth/me').set(bearer(session.refreshToken)));
    });

    it('refuses a tampered or unsigned access token', async () => {
      const session = await register();
      const [header, , signature] = session.accessToken.split('.');
      const promoted = base64url({ ...claimsOf(session.accessToken), role: 'ADMIN' });

      expectUnauthenticated(
        await t
          .http()
          .get('/auth/me')
          .set(bearer(`${header}.${promoted}.${signature}`)),
      );
      expectUnauthenticated(
        await t
          .http()
          .get('/auth/me')
          .set(bearer(`${base64url({ alg: 'none', typ: 'JWT' })}.${promoted}.`)),
      );
    });

    it('answers 401 when the account no longer exists', async () => {
      const session = await register();
      await t.db.query(`DELETE FROM users WHERE id = $1`, [session.userId]);

      expectUnauthenticated(await t.http().get('/auth/me').set(bearer(session.accessToken)));
      expectUnauthenticated(await refresh(session.refreshToken));
    });
  });
});

describe('Auth token expiry', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Two seconds, not one: `iat` is truncated to the second, so a one-second token can lapse
    // within milliseconds of being issued; this one stays valid for at least a second.
    t = await createTestApp({ JWT_ACCESS_TTL: 2, JWT_REFRESH_TTL: 2 });
  });
  afterAll(() => t.close());

  it('refuses access and refresh tokens once their TTL has passed', async () => {
    const session = (
      await t.http().post('/auth/register').send({ email: uniqueEmail(), password: PASSWORD }).expect(201)
    ).body;
    await t.http().get('/auth/me').set(bearer(session.accessToken)).expect(200);

    // JWT expiry has one-second resolution; three seconds is past a two-second TTL whatever the start.
    await new Promise((resolve) => setTimeout(resolve, 3_100));

    expectUnauthenticated(await t.http().get('/auth/me').set(bearer(session.accessToken)));
    expectUnauthenticated(await t.http().post('/auth/refresh').set(bearer(session.refreshToken)));
  });
});
