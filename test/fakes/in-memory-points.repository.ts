import type { Tx } from '../../src/prisma/transaction-runner.js';
import type { LedgerEntry, NewLedgerEntry, PointsRepository } from '../../src/points/points.repository.js';
import type { PublicOf } from './fake.js';

/** point_wallets and point_ledger in memory. The ledger keeps insertion order, oldest first. */
export class InMemoryPointsRepository implements PublicOf<PointsRepository> {
  private readonly wallets = new Map<string, number>();
  private readonly ledger: (LedgerEntry & { userId: string })[] = [];

  constructor(balances: Record<string, number> = {}) {
    for (const [userId, balance] of Object.entries(balances)) this.wallets.set(userId, balance);
  }

  hasWallet(userId: string): boolean {
    return this.wallets.has(userId);
  }

  balanceOf(userId: string): number | undefined {
    return this.wallets.get(userId);
  }

  ledgerOf(userId: string): LedgerEntry[] {
    return this.ledger.filter((entry) => entry.userId === userId);
  }

  async findBalance(_tx: Tx, userId: string): Promise<number | null> {
    return this.wallets.get(userId) ?? null;
  }

  async createWalletIfMissing(_tx: Tx, userId: string): Promise<void> {
    if (!this.wallets.has(userId)) this.wallets.set(userId, 0);
  }

  async creditWithinLimit(
    _tx: Tx,
    userId: string,
    amount: number,
    maxBalance: number,
  ): Promise<number | null> {
    const balance = this.wallets.get(userId);
    if (balance === undefined || balance + amount > maxBalance) return null;
    this.wallets.set(userId, balance + amount);
    return balance + amount;
  }

  async appendLedgerEntry(_tx: Tx, entry: NewLedgerEntry): Promise<void> {
    this.ledger.push({
      ...entry,
      id: `entry-${this.ledger.length + 1}`,
      createdAt: new Date(Date.UTC(2025, 0, 1, 0, this.ledger.length)),
    });
  }

  async findLedgerPage(_tx: Tx, userId: string, offset: number, limit: number): Promise<LedgerEntry[]> {
    return this.ledgerOf(userId)
      .reverse()
      .slice(offset, offset + limit);
  }

  async countLedgerEntries(_tx: Tx, userId: string): Promise<number> {
    return this.ledgerOf(userId).length;
  }
}
