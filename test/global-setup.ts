import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/database/embedded-database.ts';
import { migrate } from '../src/database/migrator.ts';
import { databaseUrlWithName } from './helpers/database.ts';

/**
 * Once per run: a PostgreSQL server (TEST_DATABASE_URL, or an embedded one in a temp dir)
 * and a migrated template database. Every test file clones the template into its own
 * database (test/helpers/test-app.ts), so files run in parallel without sharing rows.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded: EmbeddedDatabase = await startEmbeddedDatabase(
      await mkdtemp(join(tmpdir(), 'sail-test-pg-')),
      {
        persistent: false,
      },
    );
    (globalThis as { __sailEmbedded?: EmbeddedDatabase }).__sailEmbedded = embedded;
    serverUrl = embedded.url;
  }
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const template = `sail_tpl_${runId}`;
  const admin = new pg.Client({ connectionString: databaseUrlWithName(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await migrate(databaseUrlWithName(serverUrl, template));

  process.env.SAIL_TEST_SERVER_URL = serverUrl;
  process.env.SAIL_TEST_TEMPLATE = template;
  process.env.SAIL_TEST_RUN_ID = runId;
}
