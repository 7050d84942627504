import type { Env } from '../config/env.validation.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import { migrate } from './migrator.js';
import { isDatabaseEmpty, seedDemoData } from './seed.js';

export interface PreparedDatabase {
  url: string;
  embedded: boolean;
  /** Stops the embedded server; a no-op for an external database. */
  stop(): Promise<void>;
}

type Log = (message: string) => void;

/**
 * Runs before Nest starts: picks the database (DATABASE_URL, or an embedded one),
 * applies migrations when MIGRATE_ON_BOOT, and seeds demo data into an empty database
 * when SEED_ON_BOOT (default: only on the embedded database).
 */
export async function prepareDatabase(env: Env, log: Log): Promise<PreparedDatabase> {
  let url = env.DATABASE_URL;
  let stop: () => Promise<void> = () => Promise.resolve();
  if (url) {
    log(`Database: external PostgreSQL at ${redactUrl(url)}`);
  } else {
    const embedded = await startEmbeddedDatabase(env.EMBEDDED_DB_DIR, { persistent: true });
    url = embedded.url;
    stop = () => embedded.stop();
    log(`Database: embedded PostgreSQL at ${redactUrl(url)}, data in ${env.EMBEDDED_DB_DIR}`);
  }
  try {
    if (env.MIGRATE_ON_BOOT) {
      const { applied, alreadyApplied } = await migrate(url);
      log(
        `Migrations: ${applied.length} applied${applied.length ? ` (${applied.join(', ')})` : ''}, ${alreadyApplied} already up to date`,
      );
    }
    const shouldSeed = env.SEED_ON_BOOT ?? !env.DATABASE_URL;
    if (shouldSeed && (await isDatabaseEmpty(url))) {
      const created = await seedDemoData(url, {
        capacity: env.QUEUE_ACTIVE_CAPACITY,
        windowSeconds: env.QUEUE_WINDOW_SECONDS,
        claimSeconds: env.QUEUE_CLAIM_SECONDS,
      });
      log(`Seed: ${created} demo concerts created`);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, embedded: !env.DATABASE_URL, stop };
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
