import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { freePort } from '../../src/database/embedded-database.js';
import { getMetadataStorage } from 'class-validator';
import pg from 'pg';
import { parseDocument, type Document } from 'yaml';
import { Env } from '../../src/config/env.validation.js';
import { PUBLISHED_SECRETS } from '../../src/config/published-secrets.js';
import { databaseUrlWithName } from '../helpers/database.js';
import { waitFor } from '../helpers/wait.js';

/**
 * What can be checked of the Docker setup without a Docker engine: that the compose files
 * parse and wire healthchecks and start order, that nginx follows the replicas, and that the
 * image's start command boots the built app in production mode. Needs no Docker.
 */

type Service = {
  image?: string;
  build?: string;
  init?: boolean;
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  restart?: string;
  deploy?: { replicas?: number };
  volumes?: string[];
};
type ComposeFile = { services: Record<string, Service> };

/** Compose's `!reset` tag (an override that empties a list) parses to the value it carries. */
const composeTags = [{ tag: '!reset', collection: 'seq' as const, resolve: (value: unknown) => value }];

function readCompose(path: string): ComposeFile {
  const document: Document = parseDocument(readFileSync(path, 'utf8'), { customTags: composeTags });
  expect(document.errors).toEqual([]);
  expect(document.warnings).toEqual([]);
  return document.toJS() as ComposeFile;
}

/** Every environment variable the app reads: the validated properties of Env. */
const knownVariables = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(Env, '', true, false)
    .map((metadata) => metadata.propertyName),
);

describe('docker-compose.yml', () => {
  const { services } = readCompose('docker-compose.yml');

  it('runs PostgreSQL and the API built from this repository', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres']);
    expect(services.api!.build).toBe('.');
    expect(services.postgres!.image).toMatch(/^postgres:\d+/);
  });

  it('starts the API once PostgreSQL is healthy, and checks the API through /health/ready', () => {
    expect(services.postgres!.healthcheck!.test.join(' ')).toContain('pg_isready');
    expect(services.api!.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(services.api!.healthcheck!.test.join(' ')).toContain('/health/ready');
  });

  it('restarts both services and lets tini deliver SIGTERM to node', () => {
    expect(services.postgres!.restart).toBe('unless-stopped');
    expect(services.api!.restart).toBe('unless-stopped');
    expect(services.api!.init).toBe(true);
  });

  it('configures the API in development mode, with local secrets production refuses, and variables the app reads', () => {
    const environment = services.api!.environment!;
    expect(environment.NODE_ENV).toBe('development');
    expect(PUBLISHED_SECRETS).toContain(environment.JWT_ACCESS_SECRET);
    expect(PUBLISHED_SECRETS).toContain(environment.JWT_REFRESH_SECRET);
    expect(environment.DATABASE_URL).toMatch(/^postgresql:\/\/sail:.*@postgres:5432\/sail$/);
    expect(Object.keys(environment).filter((name) => !knownVariables.has(name))).toEqual([]);
    // The image fixes where it listens; the embedded database does not apply.
    const notPassed = [...knownVariables].filter((name) => !(name in environment)).sort();
    expect(notPassed).toEqual(['EMBEDDED_DB_DIR', 'HOST', 'PORT']);
  });
});

describe('docker-compose.prod.yml', () => {
  const { services } = readCompose('docker-compose.prod.yml');

  it('runs the API in production mode and requires every secret, so compose stops before starting', () => {
    const environment = services.api!.environment!;
    expect(environment.NODE_ENV).toBe('production');
    for (const name of ['JWT_ACCESS_SECRET', 'JWT_REFRESH_SECRET'])
      expect(environment[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?.+\\}$`));
    expect(environment.DATABASE_URL).toMatch(
      /^postgresql:\/\/sail:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/sail$/,
    );
    expect(services.postgres!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?.+\}$/);
    expect(Object.keys(environment).filter((name) => !knownVariables.has(name))).toEqual([]);
  });
});

describe('docker-compose.scale.yml', () => {
  const { services } = readCompose('docker-compose.scale.yml');
  const nginxConf = readFileSync('deploy/nginx.conf', 'utf8');

  it('runs several API replicas without a host port, trusting one proxy hop', () => {
    const api = services.api!;
    expect(api.deploy!.replicas).toBeGreaterThan(1);
    expect(api.ports).toEqual([]);
    expect(api.environment!.TRUST_PROXY).toBe('${TRUST_PROXY:-1}');
    expect(api.environment!.SEED_ON_BOOT).toBe('${SEED_ON_BOOT:-false}');
  });

  it('publishes only nginx, which starts once the API is healthy', () => {
    const nginx = services.nginx!;
    expect(Object.keys(services).sort()).toEqual(['api', 'nginx']);
    expect(nginx.depends_on).toEqual({ api: { condition: 'service_healthy' } });
    expect(nginx.healthcheck!.test.join(' ')).toContain('/health');
    expect(nginx.restart).toBe('unless-stopped');
    expect(nginx.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    const [containerPort] = nginx.ports!.map((mapping) => mapping.split(':').pop());
    expect(nginxConf).toContain(`listen ${containerPort};`);
  });

  it('points nginx at every replica through Docker DNS and forwards the client address', () => {
    expect(nginxConf).toMatch(/^\s*resolver 127\.0\.0\.11\b/m);
    // A variable makes nginx re-resolve "api" at request time instead of once at start.
    expect(nginxConf).toMatch(/^\s*set \$api_upstream http:\/\/api:3000;/m);
    expect(nginxConf).toMatch(/^\s*proxy_pass \$api_upstream;/m);
    expect(nginxConf).toMatch(/^\s*proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/m);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');

  it('runs as the node user and checks /health/ready', () => {
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health\/ready/m);
  });
});

/** The image's CMD, run here: the built app in production mode against a fresh database. */
const imageCommand = JSON.parse(/^CMD (\[.*\])$/m.exec(readFileSync('Dockerfile', 'utf8'))![1]!) as string[];

describe("the image's start command", () => {
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
    .scripts;

  // The young generation's size is set on Node's command line (V8 reads it once, at start).
  it('gives V8 a 64 MiB semi-space, and the npm start scripts run the same command', () => {
    expect(imageCommand).toEqual(['node', '--max-semi-space-size=64', 'dist/main.js']);
    expect(scripts['start:prod']).toBe(imageCommand.join(' '));
    expect(scripts.start).toBe(`npm run build && ${imageCommand.join(' ')}`);
  });
});
const built = existsSync('dist/main.js');
if (!built) console.warn('Skipping the start command tests: dist/ is missing (run `npm run build`).');

(built ? describe : describe.skip)(`the image's start command (${imageCommand.join(' ')})`, () => {
  const productionEnv = (databaseUrl: string, port: number) => ({
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    JWT_ACCESS_SECRET: randomBytes(32).toString('base64url'),
    JWT_REFRESH_SECRET: randomBytes(32).toString('base64url'),
  });

  function start(env: Record<string, string | undefined>): { app: ChildProcess; output: () => string } {
    const [command, ...args] = imageCommand;
    const app = spawn(command === 'node' ? process.execPath : command!, args, { env, stdio: 'pipe' });
    let output = '';
    app.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    app.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return { app, output: () => output };
  }

  const exited = (app: ChildProcess) =>
    new Promise<number | null>((resolve) =>
      app.exitCode !== null ? resolve(app.exitCode) : app.once('exit', (code) => resolve(code)),
    );

  it('migrates an empty database, becomes ready, logs JSON and exits 0 on SIGTERM', async () => {
    const databaseUrl = await createEmptyDatabase();
    const port = await freePort();
    const { app, output } = start(productionEnv(databaseUrl, port));
    try {
      await waitFor(async () => {
        if (app.exitCode !== null) throw new Error(`exited with ${app.exitCode}:\n${output()}`);
        return fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (response) => response.ok,
          () => false,
        );
      }, 30_000);
      app.kill('SIGTERM');
      expect(await exited(app)).toBe(0);
      const lines = output().trim().split('\n');
      expect(lines.every((line) => typeof JSON.parse(line) === 'object')).toBe(true);
      const messages = lines.map((line) => (JSON.parse(line) as { msg?: string }).msg);
      expect(messages).toContainEqual(expect.stringMatching(/^Migrations: \d+ applied/));
      expect(messages).toContain('Stopped');
    } finally {
      if (app.exitCode === null) app.kill('SIGKILL');
    }
  });

  it('refuses to start in production without real secrets', async () => {
    const env = productionEnv('postgresql://sail@127.0.0.1:1/sail', await freePort());
    delete (env as Record<string, unknown>).JWT_ACCESS_SECRET;
    const { app, output } = start(env);
    expect(await exited(app)).toBe(1);
    expect(output()).toContain('JWT_ACCESS_SECRET must be set in production');
  });

  // Two secrets per boot (the app names every problem in its one line), so every published one and a short one are tried.
  const pairs: [string, string, string][] = [];
  for (let i = 0; i < PUBLISHED_SECRETS.length; i += 2)
    pairs.push([
      PUBLISHED_SECRETS[i]!,
      PUBLISHED_SECRETS[i + 1] ?? PUBLISHED_SECRETS[0]!,
      'must be set in production to a value of your own',
    ]);
  pairs.push([randomBytes(16).toString('hex').slice(0, 31), 'x'.repeat(31), 'must be at least 32 bytes']);

  it.each(pairs)(
    'refuses to start in production with the secrets %s and %s',
    async (access, refresh, reason) => {
      const { app, output } = start({
        ...productionEnv('postgresql://sail@127.0.0.1:1/sail', await freePort()),
        JWT_ACCESS_SECRET: access,
        JWT_REFRESH_SECRET: refresh,
      });
      expect(await exited(app)).toBe(1);
      expect(output()).toContain(`JWT_ACCESS_SECRET ${reason}`);
      expect(output()).toContain(`JWT_REFRESH_SECRET ${reason}`);
    },
  );
});

/** A database with no tables, on the test run's server; global-teardown drops it by its name. */
async function createEmptyDatabase(): Promise<string> {
  const serverUrl = process.env.SAIL_TEST_SERVER_URL!;
  const name = `sail_t_${process.env.SAIL_TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrlWithName(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return databaseUrlWithName(serverUrl, name);
}
