import { Injectable } from '@nestjs/common';
import type { PointEntryType } from '../generated/prisma/enums.js';
import type { Db } from '../prisma/transaction-runner.js';

export interface NewLedgerEntry {
  userId: string;
  type: PointEntryType;
  /** Signed: PAYMENT is negative, CHARGE and REFUND positive (a CHECK enforces it). */
  amount: number;
  balanceAfter: number;
  paymentId: string | null;
}

export interface LedgerEntry {
  id: string;
  type: PointEntryType;
  amount: number;
  balanceAfter: number;
  paymentId: string | null;
  createdAt: Date;
}

@Injectable()
export class PointsRepository {
  /** The balance, or null when the user has no wallet yet. */
  async findBalance(tx: Db, userId: string): Promise<number | null> {
    const rows = await tx.$queryRaw<{ balance: number }[]>`
      SELECT balance FROM point_wallets WHERE user_id = ${userId}::uuid`;
    return rows[0]?.balance ?? null;
  }

  async createWalletIfMissing(tx: Db, userId: string): Promise<void> {
    await tx.$executeRaw`INSERT INTO point_wallets (user_id) VALUES (${userId}::uuid) ON CONFLICT (user_id) DO NOTHING`;
  }

  /** Adds `amount` unless that takes the balance beyond `maxBalance`; the new balance, or null. */
  async creditWithinLimit(
    tx: Db,
    userId: string,
    amount: number,
    maxBalance: number,
  ): Promise<number | null> {
    // bigint arithmetic: the sum is compared before it has to fit the integer column.
    const rows = await tx.$queryRaw<{ balance: number }[]>`
      UPDATE point_wallets SET balance = balance + ${amount}::int, updated_at = clock_timestamp()
      WHERE user_id = ${userId}::uuid AND balance::bigint + ${amount}::bigint <= ${maxBalance}::bigint
      RETURNING balance`;
    return rows[0]?.balance ?? null;
  }

  async appendLedgerEntry(tx: Db, entry: NewLedgerEntry): Promise<void> {
    // clock_timestamp(), not the transaction's start: entries are written under the wallet lock,
    // so their times follow the order in which the balance changed.
    await tx.$executeRaw`
      INSERT INTO point_ledger (user_id, type, amount, balance_after, payment_id, created_at)
      VALUES (${entry.userId}::uuid, ${entry.type}::"PointEntryType", ${entry.amount}::int, ${entry.balanceAfter}::int,
              ${entry.paymentId}::uuid, clock_timestamp())`;
  }

  /** Newest first. */
  async findLedgerPage(tx: Db, userId: string, offset: number, limit: number): Promise<LedgerEntry[]> {
    return tx.pointLedgerEntry.findMany({
      where: { userId },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      skip: offset,
      take: limit,
      select: { id: true, type: true, amount: true, balanceAfter: true, paymentId: true, createdAt: true },
    });
  }

  async countLedgerEntries(tx: Db, userId: string): Promise<number> {
    return tx.pointLedgerEntry.count({ where: { userId } });
  }
}
