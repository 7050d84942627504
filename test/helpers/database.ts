import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function databaseUrlWithName(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh database cloned from this run's migrated template. */
export async function createTestDatabase(): Promise<string> {
  const serverUrl = process.env.SAIL_TEST_SERVER_URL;
  const template = process.env.SAIL_TEST_TEMPLATE;
  if (!serverUrl || !template) throw new Error('test/global-setup.ts did not run');
  const name = `sail_t_${process.env.SAIL_TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: databaseUrlWithName(serverUrl, 'postgres') });
  await admin.connect();
  try {
    // Two files cloning the same template at once can collide; a short retry settles it.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  } finally {
    await admin.end();
  }
  return databaseUrlWithName(serverUrl, name);
}
