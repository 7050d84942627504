// `npm run db:seed`: demo concerts into DATABASE_URL (or the embedded database). Idempotent.
import { validateEnv } from '../config/env.validation.js';
import { prepareDatabase } from './database-bootstrap.js';
import { seedDemoData } from './seed.js';

const env = validateEnv({ ...process.env, SEED_ON_BOOT: 'false' });
const database = await prepareDatabase(env, (message) => console.log(message));
try {
  const created = await seedDemoData(database.url, {
    capacity: env.QUEUE_ACTIVE_CAPACITY,
    windowSeconds: env.QUEUE_WINDOW_SECONDS,
    claimSeconds: env.QUEUE_CLAIM_SECONDS,
  });
  console.log(`Seed: ${created} demo concerts created`);
} finally {
  await database.stop();
}
