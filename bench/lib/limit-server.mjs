/**
 * The machine's limits, run as its own process: what Fastify alone answers, and what
 * one database round trip through a pg pool of the app's size adds. No Nest, no auth,
 * no validation; the benchmark divides the app's figures by these.
 */
import process from 'node:process';
import Fastify from 'fastify';
import pg from 'pg';
import { distModule } from './dist.mjs';

// The app's own password check (its parameters, and as many hashes at once), so the bare rate
// is exactly the work of one login's password check.
const { PasswordHasher } = await distModule('auth/password-hasher.js');
const passwords = new PasswordHasher();
const ARGON2_PASSWORD = 'bench password, checked bare';
const argon2Hash = await passwords.hash(ARGON2_PASSWORD);

const port = Number(process.env.PORT);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_SIZE),
});
const queueConcertId = process.env.LIMIT_QUEUE_CONCERT_ID;

/** The shape and size of a queue-entry response. */
const QUEUE_ENTRY = {
  userId: '6f1c2a4e-8d3b-4f5a-9c7e-1b2d3e4f5a6b',
  concertId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  queuePosition: 4_321,
  status: 'WAITING',
  estimatedWaitTime: '12 minutes',
  estimatedWaitSeconds: 720,
  expiresAt: null,
  retryAfterMs: 58_000,
};

const app = Fastify({ logger: false });
app.get('/health', async () => ({ status: 'ok' }));
app.get('/json', async () => QUEUE_ENTRY);
// An indexed single-row read: the primary key of users.
app.get('/select', async (request) => {
  const { rows } = await pool.query('SELECT id, email, role FROM users WHERE id = $1', [request.query.id]);
  return { ...QUEUE_ENTRY, userId: rows[0]?.id ?? null };
});
// One row locked through commit, as every queue entry locks its concert's queues row.
app.get('/update', async () => {
  const { rows } = await pool.query(
    'UPDATE queues SET last_ticket = last_ticket + 1 WHERE concert_id = $1 RETURNING last_ticket',
    [queueConcertId],
  );
  return { ...QUEUE_ENTRY, queuePosition: Number(rows[0].last_ticket) };
});

// One argon2id verify, as a login does: the ceiling of sign-ins per second.
app.get('/argon2', async () => {
  const matches = await passwords.verify(ARGON2_PASSWORD, argon2Hash);
  return { ...QUEUE_ENTRY, status: matches ? 'ACTIVE' : 'WAITING' };
});

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.once('SIGTERM', () => void close());
process.once('SIGINT', () => void close());

await app.listen({ port, host: '127.0.0.1' });
