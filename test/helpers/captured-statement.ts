import { Prisma } from '../../src/generated/prisma/client.js';
import type { SqlQuery } from '../../src/prisma/prisma.service.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';

/**
 * The statement a repository method sends, recorded instead of run (through a Tx whose
 * $queryRaw captures it and fails): for plan tests, which EXPLAIN it on the real database.
 */
export function capturedStatement(run: (tx: Tx) => Promise<unknown>): Promise<Prisma.Sql> {
  return new Promise((resolve) => {
    const tx = {
      $queryRaw: (strings: TemplateStringsArray, ...values: unknown[]) => {
        resolve(Prisma.sql(strings, ...values));
        return Promise.reject(new Error('captured'));
      },
    } as unknown as Tx;
    run(tx).catch(() => undefined);
  });
}

/** The statement a repository method runs on the pool (a SqlQuery), recorded instead of run. */
export function capturedPoolStatement(run: (query: SqlQuery) => Promise<unknown>): Promise<Prisma.Sql> {
  return new Promise((resolve) => {
    const query = ((sql: Prisma.Sql) => {
      resolve(sql);
      return Promise.reject(new Error('captured'));
    }) as SqlQuery;
    run(query).catch(() => undefined);
  });
}
