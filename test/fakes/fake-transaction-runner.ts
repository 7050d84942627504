import type { PrismaService, SqlQuery } from '../../src/prisma/prisma.service.js';
import type { TransactionRunner, Tx } from '../../src/prisma/transaction-runner.js';
import type { PublicOf } from './fake.js';

/** The transaction client handed to operations; in-memory repositories ignore it. */
export const FAKE_TX = {} as Tx;
/** PrismaService's statements straight on the pool; in-memory repositories ignore it. */
export const FAKE_POOL_QUERY: SqlQuery = () => Promise.reject(new Error('FAKE_POOL_QUERY runs nothing'));
/** Stands in for PrismaService where a service passes it as a non-transactional client. */
export const FAKE_PRISMA = { poolQuery: FAKE_POOL_QUERY } as PrismaService;

/** Runs the callback with FAKE_TX. It cannot roll back: fakes hold no uncommitted state. */
export class FakeTransactionRunner implements PublicOf<TransactionRunner> {
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(FAKE_TX);
  }
}
