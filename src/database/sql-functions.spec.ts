import { readMigrations, type MigrationFile } from './migrator.js';
import {
  extractDollarQuotedBody,
  extractFunctionDefinitions,
  latestDefinitions,
  readFunctionSources,
  redefinitionMigration,
} from './sql-functions.js';

const migration = (name: string, sql: string): MigrationFile => ({ name, sql, checksum: '' });

describe('database function sources', () => {
  it('have exactly the definition the newest migration applies', async () => {
    const [sources, migrations] = await Promise.all([readFunctionSources(), readMigrations()]);
    const latest = latestDefinitions(migrations);
    const stale = sources
      .filter((source) => latest.get(source.name)?.definition !== source.definition)
      .map((source) => `${source.name} (run npm run build && npm run db:functions)`);
    expect(stale).toEqual([]);
  });

  it('exist for every function a migration defines', async () => {
    const [sources, migrations] = await Promise.all([readFunctionSources(), readMigrations()]);
    const withSource = new Set(sources.map((source) => source.name));
    const orphans = [...latestDefinitions(migrations).keys()].filter((name) => !withSource.has(name));
    expect(orphans).toEqual([]);
  });
});

describe(extractFunctionDefinitions.name, () => {
  it('reads each statement to the end of its dollar-quoted body, whatever the body contains', () => {
    const sql = `
      -- a comment
      CREATE FUNCTION "a"(x INT) RETURNS INT LANGUAGE sql AS $$ SELECT x; $$;
      CREATE TABLE t (id INT);
      CREATE OR REPLACE FUNCTION b() RETURNS TEXT LANGUAGE plpgsql AS $body$
      BEGIN RETURN '$$;'; END;
      $body$;`;
    const definitions = extractFunctionDefinitions(sql);
    expect([...definitions.keys()]).toEqual(['a', 'b']);
    expect(definitions.get('a')).toBe(
      'CREATE OR REPLACE FUNCTION "a"(x INT) RETURNS INT LANGUAGE sql AS $$ SELECT x; $$;',
    );
    expect(definitions.get('b')).toMatch(/RETURN '\$\$;'; END;\n\s*\$body\$;$/);
  });
});

describe(extractDollarQuotedBody.name, () => {
  it('answers what PostgreSQL keeps as prosrc: the text between the dollar quotes', () => {
    const definition =
      "CREATE OR REPLACE FUNCTION b() RETURNS TEXT LANGUAGE plpgsql AS $body$\nBEGIN RETURN '$$'; END;\n$body$;";
    expect(extractDollarQuotedBody(definition)).toBe("\nBEGIN RETURN '$$'; END;\n");
  });
});

describe(latestDefinitions.name, () => {
  it('keeps the definition of the migration that sorts last', () => {
    const latest = latestDefinitions([
      migration('1_init', 'CREATE FUNCTION f() RETURNS INT LANGUAGE sql AS $$ SELECT 1 $$;'),
      migration('2_change', 'CREATE OR REPLACE FUNCTION f() RETURNS INT LANGUAGE sql AS $$ SELECT 2 $$;'),
    ]);
    expect(latest.get('f')).toEqual({
      migration: '2_change',
      definition: 'CREATE OR REPLACE FUNCTION f() RETURNS INT LANGUAGE sql AS $$ SELECT 2 $$;',
    });
  });
});

describe(redefinitionMigration.name, () => {
  it('writes a migration whose definitions are the sources', () => {
    const text = '-- why\nCREATE OR REPLACE FUNCTION f() RETURNS INT LANGUAGE sql AS $$ SELECT 3 $$;\n';
    const written = redefinitionMigration([
      { name: 'f', text, definition: extractFunctionDefinitions(text).get('f')! },
    ]);
    expect(latestDefinitions([migration('3_f', written)]).get('f')?.definition).toBe(
      extractFunctionDefinitions(text).get('f'),
    );
    expect(written).toContain('-- why');
  });
});
