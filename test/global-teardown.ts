import pg from 'pg';
import type { EmbeddedDatabase } from '../src/database/embedded-database.ts';
import { databaseUrlWithName } from './helpers/database.ts';

/** Drops this run's databases (an external server keeps nothing) and stops the embedded server. */
export default async function globalTeardown(): Promise<void> {
  const embedded = (globalThis as { __sailEmbedded?: EmbeddedDatabase }).__sailEmbedded;
  if (embedded) {
    await embedded.stop();
    return;
  }
  const serverUrl = process.env.SAIL_TEST_SERVER_URL!;
  const runId = process.env.SAIL_TEST_RUN_ID!;
  const admin = new pg.Client({ connectionString: databaseUrlWithName(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
      [`sail_t_${runId}_%`, `sail_tpl_${runId}`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
