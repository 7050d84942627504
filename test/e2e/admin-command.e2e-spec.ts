import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

/** The operator's command, as built (`npm run admin` runs dist/admin/admin.cli.js, and so does the image). */
const COMMAND = 'dist/admin/admin.cli.js';
const built = existsSync(COMMAND);
if (!built) console.warn(`Skipping the admin command tests: ${COMMAND} is missing (run \`npm run build\`).`);

const PASSWORD = 'correct horse battery';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const roleOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { role: string }).role;

(built ? describe : describe.skip)('npm run admin -- grant|revoke <email>', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  function admin(...args: string[]): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, [COMMAND, ...args], {
      env: { PATH: process.env.PATH, DATABASE_URL: t.databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
  }

  /** An admin route: 404 for an unknown concert proves the caller got past the role check, 403 that it did not. */
  const adminRouteStatus = async (accessToken: string) =>
    (await t.http().get(`/admin/concerts/${randomUUID()}`).set(bearer(accessToken))).status;

  it('grants ADMIN to a registered account, and revoke takes it back at the next refresh', async () => {
    const email = `operator-${Date.now()}@example.com`;
    const registered = (await t.http().post('/auth/register').send({ email, password: PASSWORD }).expect(201))
      .body as { accessToken: string; refreshToken: string };
    expect(roleOf(registered.accessToken)).toBe('USER');
    expect(await adminRouteStatus(registered.accessToken)).toBe(403);

    const granted = await admin('grant', `  ${email.toUpperCase()} `);
    expect(granted).toEqual({ code: 0, output: `${email} is now ADMIN (was USER).\n` });
    // The refresh reads the role again: no new sign-in needed.
    const promoted = (await t.http().post('/auth/refresh').set(bearer(registered.refreshToken)).expect(200))
      .body as { accessToken: string; refreshToken: string };
    expect(roleOf(promoted.accessToken)).toBe('ADMIN');
    expect(await adminRouteStatus(promoted.accessToken)).toBe(404);
    expect((await admin('grant', email)).output).toBe(`${email} is ADMIN already.\n`);

    const revoked = await admin('revoke', email);
    expect(revoked.code).toBe(0);
    expect(revoked.output).toContain(`${email} is now USER (was ADMIN).`);
    // An access token already issued keeps its claim until it expires (JWT_ACCESS_TTL); the refresh does not.
    expect(await adminRouteStatus(promoted.accessToken)).toBe(404);
    const demoted = (await t.http().post('/auth/refresh').set(bearer(promoted.refreshToken)).expect(200))
      .body as { accessToken: string };
    expect(roleOf(demoted.accessToken)).toBe('USER');
    expect(await adminRouteStatus(demoted.accessToken)).toBe(403);
    const login = (await t.http().post('/auth/login').send({ email, password: PASSWORD }).expect(200))
      .body as {
      accessToken: string;
    };
    expect(roleOf(login.accessToken)).toBe('USER');
  });

  it('refuses an email nobody registered (exit 1) and a wrong command line (exit 2), changing nothing', async () => {
    const unknown = await admin('grant', `nobody-${Date.now()}@example.com`);
    expect(unknown.code).toBe(1);
    expect(unknown.output).toMatch(/No account with the email .* it must register first/);

    for (const args of [
      [],
      ['promote', 'a@example.com'],
      ['grant'],
      ['grant', 'a@example.com', 'b@example.com'],
    ]) {
      const wrong = await admin(...args);
      expect(wrong).toEqual({ code: 2, output: 'Usage: npm run admin -- grant|revoke <email>\n' });
    }
    const { rows } = await t.db.query(`SELECT count(*)::int AS admins FROM users WHERE role = 'ADMIN'`);
    expect(rows[0].admins).toBe(0);
  });
});
