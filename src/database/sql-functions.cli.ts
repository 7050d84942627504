// `npm run db:functions [-- name]`: writes a migration that redefines every database function
// whose source in prisma/functions/ differs from its newest migration. Prints nothing to do
// when they agree. The migration's name gets the current UTC time, or sorts just after the
// newest migration when that one's timestamp is later.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MIGRATIONS_DIR, readMigrations } from './migrator.js';
import { changedFunctions, redefinitionMigration } from './sql-functions.js';

const changed = await changedFunctions();
if (!changed.length) {
  console.log('Every function in prisma/functions/ matches its newest migration.');
} else {
  const now = BigInt(new Date().toISOString().replace(/\D/g, '').slice(0, 14));
  const newest = (await readMigrations()).at(-1)?.name.slice(0, 14) ?? '0';
  const stamp = String(now > BigInt(newest) ? now : BigInt(newest) + 1n);
  const suffix = process.argv[2] ?? `redefine_${changed.map((source) => source.name).join('_')}`;
  const dir = join(DEFAULT_MIGRATIONS_DIR, `${stamp}_${suffix}`.slice(0, 120));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'migration.sql'), redefinitionMigration(changed));
  console.log(`Wrote ${join(dir, 'migration.sql')} (${changed.map((source) => source.name).join(', ')}).`);
}
