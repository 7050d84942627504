import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DEFAULT_MIGRATIONS_DIR, readMigrations, type MigrationFile } from './migrator.js';

/**
 * The database functions that hold the hottest rules (a hold, a payment, the queue's
 * end-and-admit) have one source each: `prisma/functions/<name>.sql`. Migrations stay the
 * only thing applied, so a change to a source becomes a new migration written from it
 * (`npm run db:functions`), and `sql-functions.spec.ts` fails while the newest migration's
 * definition of a function and its source differ.
 */
export const DEFAULT_FUNCTIONS_DIR = join(process.cwd(), 'prisma', 'functions');

export interface FunctionSource {
  name: string;
  /** The whole file: its comments and the CREATE OR REPLACE FUNCTION statement. */
  text: string;
  /** The statement alone, normalized for comparison. */
  definition: string;
}

/** Where a function was last defined among the migrations, and how. */
export interface MigratedDefinition {
  migration: string;
  definition: string;
}

const CREATE_FUNCTION = /CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+"?([a-z_][a-z0-9_]*)"?\s*\(/gi;

/**
 * The CREATE FUNCTION statements of a SQL text, by function name, each from `CREATE` to the
 * `;` after its closing dollar quote. Bodies are dollar-quoted in this project.
 */
export function extractFunctionDefinitions(sql: string): Map<string, string> {
  const definitions = new Map<string, string>();
  for (const match of sql.matchAll(CREATE_FUNCTION)) {
    const start = match.index;
    const open = /\$[A-Za-z_]*\$/.exec(sql.slice(start));
    if (!open) throw new Error(`function ${match[1]} has no dollar-quoted body`);
    const bodyStart = start + open.index + open[0].length;
    const close = sql.indexOf(open[0], bodyStart);
    const end = sql.indexOf(';', close + open[0].length);
    if (close < 0 || end < 0) throw new Error(`function ${match[1]} is not terminated`);
    definitions.set(match[1]!.toLowerCase(), normalizeDefinition(sql.slice(start, end + 1)));
  }
  return definitions;
}

/** The body of a function definition: what PostgreSQL keeps as `pg_proc.prosrc`. */
export function extractDollarQuotedBody(definition: string): string {
  const open = /\$[A-Za-z_]*\$/.exec(definition);
  const close = open ? definition.indexOf(open[0], open.index + open[0].length) : -1;
  if (!open || close < 0) throw new Error('the definition has no dollar-quoted body');
  return definition.slice(open.index + open[0].length, close);
}

/** `CREATE FUNCTION` and `CREATE OR REPLACE FUNCTION` define the same thing; trailing blanks don't matter. */
export function normalizeDefinition(statement: string): string {
  return statement
    .replace(/^CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION/i, 'CREATE OR REPLACE FUNCTION')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .trim();
}

export async function readFunctionSources(dir = DEFAULT_FUNCTIONS_DIR): Promise<FunctionSource[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const name = basename(file, '.sql');
      const text = await readFile(join(dir, file), 'utf8');
      const definitions = extractFunctionDefinitions(text);
      const definition = definitions.get(name);
      if (!definition || definitions.size !== 1) {
        throw new Error(`${file} must define exactly one function, named ${name}`);
      }
      return { name, text, definition };
    }),
  );
}

/** The newest definition of every function that some migration defines. */
export function latestDefinitions(migrations: MigrationFile[]): Map<string, MigratedDefinition> {
  const latest = new Map<string, MigratedDefinition>();
  for (const migration of migrations) {
    for (const [name, definition] of extractFunctionDefinitions(migration.sql)) {
      latest.set(name, { migration: migration.name, definition });
    }
  }
  return latest;
}

/** Sources whose definition is not the one the newest migrations apply. */
export async function changedFunctions(
  functionsDir = DEFAULT_FUNCTIONS_DIR,
  migrationsDir = DEFAULT_MIGRATIONS_DIR,
): Promise<FunctionSource[]> {
  const [sources, migrations] = await Promise.all([
    readFunctionSources(functionsDir),
    readMigrations(migrationsDir),
  ]);
  const latest = latestDefinitions(migrations);
  return sources.filter((source) => latest.get(source.name)?.definition !== source.definition);
}

/** The text of a migration that redefines these functions from their sources. */
export function redefinitionMigration(sources: FunctionSource[]): string {
  const header =
    '-- Written by `npm run db:functions` from prisma/functions/: redefines ' +
    sources.map((source) => source.name).join(', ') +
    '.\n-- Change the source file, not this migration.\n';
  return [header, ...sources.map((source) => source.text.trimEnd() + '\n')].join('\n');
}
