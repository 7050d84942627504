import pg from 'pg';
import { createTestDatabase } from '../helpers/database.js';
import { readPrismaSchema, type SchemaTable } from '../helpers/prisma-schema.js';

/** Fails when prisma/schema.prisma and the SQL migrations describe different tables. */
describe('schema.prisma and the migrations', () => {
  let db: pg.Client;
  const tables: SchemaTable[] = readPrismaSchema();

  beforeAll(async () => {
    db = new pg.Client({ connectionString: await createTestDatabase() });
    await db.connect();
  });
  afterAll(() => db.end());

  it('have the same tables', async () => {
    const { rows } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'`,
    );
    expect(rows.map((row) => row.table_name).sort()).toEqual(tables.map((table) => table.name).sort());
  });

  it.each(tables.map((table) => [table.name, table] as const))(
    'agree on the columns of %s',
    async (name, table) => {
      const { rows } = await db.query<{ column_name: string; udt_name: string; is_nullable: string }>(
        `SELECT column_name, udt_name, is_nullable FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = $1`,
        [name],
      );
      const actual = rows
        .map((row) => ({ name: row.column_name, udtName: row.udt_name, nullable: row.is_nullable === 'YES' }))
        .sort((a, b) => a.name.localeCompare(b.name));
      expect(actual).toEqual([...table.columns].sort((a, b) => a.name.localeCompare(b.name)));
    },
  );

  it.each(tables.map((table) => [table.name, table] as const))(
    'agree on the keys and uniques of %s',
    async (name, table) => {
      const { rows } = await db.query<{ columns: string[]; primary: boolean }>(
        `SELECT array_agg(a.attname ORDER BY k.ord)::text[] AS columns, i.indisprimary AS primary
       FROM pg_index i
       JOIN pg_class t ON t.oid = i.indrelid
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE t.relname = $1 AND i.indisunique AND i.indpred IS NULL
       GROUP BY i.indexrelid, i.indisprimary`,
        [name],
      );
      expect(rows.find((row) => row.primary)?.columns).toEqual(table.primaryKey);
      const uniques = rows.filter((row) => !row.primary).map((row) => row.columns.join(','));
      expect(uniques.sort()).toEqual(table.uniques.map((columns) => columns.join(',')).sort());
    },
  );
});
