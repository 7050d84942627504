import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { distModule } from './dist.mjs';

/**
 * A database of this run's own: a new database on BENCH_DATABASE_URL's server (dropped
 * afterwards), or a throwaway embedded PostgreSQL in a temporary directory.
 */
export async function startFreshDatabase(serverUrl) {
  if (serverUrl) return createDatabaseOn(serverUrl);
  const { startEmbeddedDatabase } = await distModule('database/embedded-database.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'sail-bench-pg-'));
  const embedded = await startEmbeddedDatabase(dataDir, { persistent: false });
  return { url: embedded.url, description: 'embedded PostgreSQL (temporary)', stop: () => embedded.stop() };
}

async function createDatabaseOn(serverUrl) {
  const name = `sail_bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    description: `database ${name} on BENCH_DATABASE_URL`,
    async stop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
