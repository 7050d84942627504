import type { PrismaService } from '../../src/prisma/prisma.service.js';
import type { TransactionRunner, Tx } from '../../src/prisma/transaction-runner.js';
import type { PublicOf } from './fake.js';

/** The transaction client handed to operations; in-memory repositories ignore it. */
export const FAKE_TX = {} as Tx;
/** Stands in for PrismaService where a service passes it as a non-transactional client. */
export const FAKE_PRISMA = {} as PrismaService;

/** Runs the callback with FAKE_TX. It cannot roll back: fakes hold no uncommitted state. */
export class FakeTransactionRunner implements PublicOf<TransactionRunner> {
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return fn(FAKE_TX);
  }
}
