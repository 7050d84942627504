import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Expiry is judged by one clock, `clock_timestamp()`: `now()` and its kin answer the time the
 * transaction began, which can be seconds old after a wait for a lock, and one rule read two
 * ways is how a lapsed hold gets sold. This keeps the other clocks out of the app's SQL.
 */
const TRANSACTION_CLOCKS =
  /(?<![.\w])(?:now\(\)|current_timestamp\b|localtimestamp\b|statement_timestamp\(\))/gi;

async function sqlBearingFiles(): Promise<string[]> {
  const sources = (await readdir('src', { recursive: true }))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts') && !file.startsWith('generated'))
    .map((file) => join('src', file));
  const functions = (await readdir(join('prisma', 'functions')))
    .filter((file) => file.endsWith('.sql'))
    .map((file) => join('prisma', 'functions', file));
  return [...sources, ...functions];
}

describe('the database clock', () => {
  it('is clock_timestamp() in every query of src/ and every function of prisma/functions/', async () => {
    const offenders: string[] = [];
    for (const file of await sqlBearingFiles()) {
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        for (const match of line.matchAll(TRANSACTION_CLOCKS))
          offenders.push(`${file}:${index + 1} ${match[0]}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('would notice now() in a query', () => {
    expect('WHERE starts_at > now()'.match(TRANSACTION_CLOCKS)).toEqual(['now()']);
    expect('DEFAULT CURRENT_TIMESTAMP'.match(TRANSACTION_CLOCKS)).toEqual(['CURRENT_TIMESTAMP']);
    expect('const at = Date.now();'.match(TRANSACTION_CLOCKS)).toBeNull();
  });
});
