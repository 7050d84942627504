import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

/** Any client a query can run on: PrismaService itself (each statement its own transaction) or a Tx. */
export type Db = Prisma.TransactionClient;

declare const inTransaction: unique symbol;
/**
 * A client inside an interactive transaction, which only TransactionRunner.run produces. Methods
 * whose row locks or transaction-local settings must outlive their statement take it, so the
 * type checker refuses PrismaService there (where each statement would commit on its own).
 */
export type Tx = Db & { readonly [inTransaction]: true };

/** Runs a short interactive transaction. Throw a DomainError inside to roll back. */
@Injectable()
export class TransactionRunner {
  constructor(private readonly prisma: PrismaService) {}

  run<T>(fn: (tx: Tx) => Promise<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    return this.prisma.$transaction((client) => fn(client as Tx), {
      timeout: options.timeoutMs ?? 10_000,
      maxWait: 5_000,
    });
  }
}
