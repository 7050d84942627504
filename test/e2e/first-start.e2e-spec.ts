import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ENTRY, isAppBuilt, startAppProcess } from '../helpers/app-process.js';
import { createTestDatabase } from '../helpers/database.js';

/**
 * What a new user sees on a first `npm start`: where the API is, readable logs in development,
 * and one line saying what to do when the embedded PostgreSQL cannot start. Runs the built app.
 */
const built = isAppBuilt();
if (!built) console.warn('Skipping the first-start tests: dist/ is missing (run `npm run build`).');

(built ? describe : describe.skip)('npm start (the built app)', () => {
  it('prints where the API and its docs are, in readable lines in development', async () => {
    const app = await startAppProcess({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      DATABASE_URL: await createTestDatabase(),
      SEED_ON_BOOT: 'false',
      SWEEPER_ENABLED: 'false',
    });
    try {
      await fetch(`${app.origin}/docs-json`);
      await waitForOutput(() => app.output(), /request completed/);
      const port = new URL(app.origin).port;
      const lines = app.output().trim().split('\n');
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `INFO: Sail API on http://127\\.0\\.0\\.1:${port} · docs http://127\\.0\\.0\\.1:${port}/docs`,
          ),
        ),
      );
      // Every line for people: a time, a level and a message, no JSON objects.
      for (const line of lines) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+: /);
    } finally {
      await app.stop();
    }
  });

  it('logs one JSON object per line in production, the startup line among them', async () => {
    const app = await startAppProcess({
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: await createTestDatabase(),
      JWT_ACCESS_SECRET: 'production-access-secret-for-the-test-0001',
      JWT_REFRESH_SECRET: 'production-refresh-secret-for-the-test-002',
      SWEEPER_ENABLED: 'false',
    });
    try {
      const messages = app
        .output()
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages).toContainEqual(
        expect.stringMatching(/^Sail API on http:\/\/127\.0\.0\.1:\d+ · docs /),
      );
    } finally {
      await app.stop();
    }
  });

  const asRoot = process.getuid?.() === 0;
  (asRoot ? it : it.skip)(
    'as root in a private folder, refuses the embedded database in one line saying what to do',
    async () => {
      // What `mktemp -d` makes: mode 700, owned by root. The embedded PostgreSQL runs as "postgres".
      const privateDir = await mkdtemp(join(tmpdir(), 'sail-private-'));
      await chmod(privateDir, 0o700);
      try {
        const child = spawn(process.execPath, [APP_ENTRY], {
          env: {
            PATH: process.env.PATH ?? '',
            NODE_ENV: 'development',
            PORT: '0',
            HOST: '127.0.0.1',
            EMBEDDED_DB_DIR: join(privateDir, '.data', 'postgres'),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        expect(code).toBe(1);
        expect(stderr.trim().split('\n')).toEqual([
          `Cannot start the embedded PostgreSQL as root: it runs as the user "postgres", who cannot enter ${privateDir} ` +
            `(mode 700). Run \`chmod o+x ${privateDir}\`, run as a regular user, or set DATABASE_URL to a PostgreSQL of your own.`,
        ]);
      } finally {
        await rm(privateDir, { recursive: true, force: true });
      }
    },
  );
});

async function waitForOutput(output: () => string, pattern: RegExp): Promise<void> {
  for (let attempt = 0; attempt < 50 && !pattern.test(output()); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 100));
}
