import pg from 'pg';
import { extractDollarQuotedBody, readFunctionSources } from '../../src/database/sql-functions.js';
import { createTestDatabase } from '../helpers/database.js';
import {
  readPrismaEnums,
  readPrismaSchema,
  type ReferentialAction,
  type SchemaTable,
} from '../helpers/prisma-schema.js';

const ACTION_CODE: Record<string, ReferentialAction> = {
  a: 'NoAction',
  r: 'Restrict',
  c: 'Cascade',
  n: 'SetNull',
  d: 'SetDefault',
};

const byName = <T extends { name: string }>(items: T[]): T[] =>
  [...items].sort((a, b) => a.name.localeCompare(b.name));

/**
 * Fails when the migrated database and what the repository declares differ: tables, columns
 * and their defaults, keys, foreign keys and their actions, every index (partial ones too), CHECK
 * constraints and enums against prisma/schema.prisma (with the `/// @check` and `/// @index`
 * lines for what Prisma cannot express), and functions against prisma/functions/.
 */
describe('schema.prisma and the migrations', () => {
  let db: pg.Client;
  const tables: SchemaTable[] = readPrismaSchema();

  beforeAll(async () => {
    db = new pg.Client({ connectionString: await createTestDatabase() });
    await db.connect();
  });
  afterAll(() => db.end());

  const perTable = tables.map((table) => [table.name, table] as const);

  it('have the same tables', async () => {
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
    );
    expect(rows.map((row) => row.table_name).sort()).toEqual(tables.map((table) => table.name).sort());
  });

  it.each(perTable)('agree on the columns and defaults of %s', async (name, table) => {
    const { rows } = await db.query<{
      column_name: string;
      udt_name: string;
      is_nullable: string;
      column_default: string | null;
    }>(
      `SELECT column_name, udt_name, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = $1`,
      [name],
    );
    const actual = rows.map((row) => ({
      name: row.column_name,
      udtName: row.udt_name,
      nullable: row.is_nullable === 'YES',
      default: row.column_default,
    }));
    expect(byName(actual)).toEqual(byName(table.columns));
  });

  it.each(perTable)('agree on every index of %s, partial ones included', async (name, table) => {
    const { rows } = await db.query<{
      name: string;
      primary: boolean;
      unique: boolean;
      columns: string[];
      where: string | null;
    }>(
      `SELECT ic.relname AS name, i.indisprimary AS primary, i.indisunique AS unique,
              array_agg(coalesce(a.attname, pg_get_indexdef(i.indexrelid, k.ord::int, false)) ORDER BY k.ord)::text[]
                AS columns,
              pg_get_expr(i.indpred, i.indrelid) AS where
       FROM pg_index i
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       -- An expression has no attribute (attnum 0): it compares as PostgreSQL prints it.
       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum > 0
       WHERE t.relname = $1 AND t.relnamespace = 'public'::regnamespace
       GROUP BY ic.relname, i.indisprimary, i.indisunique, i.indpred, i.indrelid`,
      [name],
    );
    expect(byName(rows)).toEqual(byName(table.indexes));
  });

  it.each(perTable)(
    'agree on the foreign keys of %s and what they do on delete and update',
    async (name, table) => {
      const { rows } = await db.query<{
        name: string;
        columns: string[];
        referenced_table: string;
        referenced_columns: string[];
        on_delete: string;
        on_update: string;
      }>(
        `SELECT c.conname AS name,
              array_agg(a.attname ORDER BY k.ord)::text[] AS columns,
              rt.relname AS referenced_table,
              array_agg(ra.attname ORDER BY k.ord)::text[] AS referenced_columns,
              c.confdeltype AS on_delete, c.confupdtype AS on_update
       FROM pg_constraint c
       JOIN pg_class t ON t.oid = c.conrelid
       JOIN pg_class rt ON rt.oid = c.confrelid
       JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, refnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
       JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refnum
       WHERE c.contype = 'f' AND t.relname = $1 AND t.relnamespace = 'public'::regnamespace
       GROUP BY c.oid, c.conname, rt.relname, c.confdeltype, c.confupdtype`,
        [name],
      );
      const actual = rows.map((row) => ({
        name: row.name,
        columns: row.columns,
        referencedTable: row.referenced_table,
        referencedColumns: row.referenced_columns,
        onDelete: ACTION_CODE[row.on_delete],
        onUpdate: ACTION_CODE[row.on_update],
      }));
      expect(byName(actual)).toEqual(byName(table.foreignKeys));
    },
  );

  it.each(perTable)('agree on the CHECK constraints of %s', async (name, table) => {
    const { rows } = await db.query<{ name: string; definition: string }>(
      `SELECT c.conname AS name, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
       WHERE c.contype = 'c' AND t.relname = $1 AND t.relnamespace = 'public'::regnamespace`,
      [name],
    );
    expect(byName(rows)).toEqual(byName(table.checks));
  });

  it('have the same enums, with their values in order', async () => {
    const { rows } = await db.query<{ name: string; values: string[] }>(
      `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
       WHERE t.typnamespace = 'public'::regnamespace
       GROUP BY t.typname`,
    );
    expect(byName(rows)).toEqual(byName(readPrismaEnums()));
  });
});

describe('prisma/functions and the migrations', () => {
  let db: pg.Client;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: await createTestDatabase() });
    await db.connect();
  });
  afterAll(() => db.end());

  it('have the same functions, each with the body of its source', async () => {
    const { rows } = await db.query<{ name: string; body: string }>(
      `SELECT p.proname AS name, p.prosrc AS body FROM pg_proc p
       WHERE p.pronamespace = 'public'::regnamespace
         AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
       ORDER BY p.proname`,
    );
    const sources = await readFunctionSources();
    // One row per function: a second overload (a changed signature without a DROP) shows up here.
    expect(rows.map((row) => row.name)).toEqual(sources.map((source) => source.name).sort());
    const lines = (text: string) => text.split('\n').map((line) => line.trimEnd());
    for (const source of sources) {
      const body = rows.find((row) => row.name === source.name)?.body ?? '';
      expect({ name: source.name, body: lines(body) }).toEqual({
        name: source.name,
        body: lines(extractDollarQuotedBody(source.definition)),
      });
    }
  });
});
