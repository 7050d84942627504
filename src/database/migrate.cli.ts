// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
import { validateEnv } from '../config/env.validation.js';
import { prepareDatabase } from './database-bootstrap.js';

const env = validateEnv({ ...process.env, MIGRATE_ON_BOOT: 'true', SEED_ON_BOOT: 'false' });
const database = await prepareDatabase(env, (message) => console.log(message));
await database.stop();
