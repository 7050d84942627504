import { mkdtemp, mkdir, cp, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  DEFAULT_MIGRATIONS_DIR,
  migrate,
  MigrationError,
  readMigrations,
} from '../../src/database/migrator.js';
import { databaseUrlWithName } from '../helpers/database.js';

/** An empty database (no template): the migrator starts from nothing. */
async function emptyDatabase(): Promise<string> {
  const serverUrl = process.env.SAIL_TEST_SERVER_URL!;
  const name = `sail_t_${process.env.SAIL_TEST_RUN_ID}_mig_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: databaseUrlWithName(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return databaseUrlWithName(serverUrl, name);
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function copyOfMigrations(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sail-migrations-'));
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

describe('Migrator (Prisma-compatible)', () => {
  it('applies every migration to a fresh database and records it as Prisma does', async () => {
    const url = await emptyDatabase();
    const migrations = await readMigrations();
    const result = await migrate(url);
    expect(result.applied).toEqual(migrations.map((migration) => migration.name));

    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows.map((row) => [row.migration_name, row.checksum])).toEqual(
      migrations.map((m) => [m.name, m.checksum]),
    );
    expect(rows.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(true);
    expect(migrations[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);

    const columns = await query<{ column_name: string; data_type: string }>(
      url,
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((column) => column.column_name)).toEqual([
      'id',
      'checksum',
      'finished_at',
      'migration_name',
      'logs',
      'rolled_back_at',
      'started_at',
      'applied_steps_count',
    ]);
  });

  it('does nothing on a database that is up to date', async () => {
    const url = await emptyDatabase();
    await migrate(url);
    expect(await migrate(url)).toEqual({ applied: [], alreadyApplied: (await readMigrations()).length });
  });

  it('refuses to start when an applied migration was changed', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    await migrate(url, dir);
    const [first] = await readMigrations(dir);
    await appendFile(join(dir, first!.name, 'migration.sql'), '\n-- edited after release\n');
    await expect(migrate(url, dir)).rejects.toThrow(MigrationError);
    await expect(migrate(url, dir)).rejects.toThrow(/was modified after it was applied/);
  });

  it('rolls a failing migration back whole and records nothing', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    await mkdir(join(dir, '99990101000000_broken'));
    await writeFile(
      join(dir, '99990101000000_broken', 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n',
    );
    await expect(migrate(url, dir)).rejects.toThrow(/99990101000000_broken failed/);
    const tables = await query(url, `SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'`);
    expect(tables).toHaveLength(0);
    const recorded = await query(
      url,
      `SELECT 1 FROM _prisma_migrations WHERE migration_name = '99990101000000_broken'`,
    );
    expect(recorded).toHaveLength(0);
  });

  it('applies each migration once when several instances start at the same time', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(url)));
    const migrations = await readMigrations();
    expect(results.flatMap((result) => result.applied).sort()).toEqual(migrations.map((m) => m.name).sort());
    const rows = await query<{ migration_name: string; n: number }>(
      url,
      `SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY migration_name`,
    );
    expect(rows.every((row) => row.n === 1)).toBe(true);
    expect(rows).toHaveLength(migrations.length);
  });
});
