import { Injectable } from '@nestjs/common';
import { IdempotencyService } from '../common/idempotency/idempotency.service.js';
import { AppConfig } from '../config/app-config.js';
import { PointEntryType } from '../generated/prisma/enums.js';
import { EventMetrics } from '../metrics/event-metrics.js';
import { PrismaService } from '../prisma/prisma.service.js';
import type { Tx } from '../prisma/transaction-runner.js';
import { BalanceLimitExceededError, InvalidAmountError } from './points.errors.js';
import { PointsRepository, type LedgerEntry } from './points.repository.js';

export const CHARGE_SCOPE = 'points.charge';

/** Stored as the idempotent result of a charge, so it stays plain JSON. */
export interface ChargeResult {
  balance: number;
  charged: number;
}

export interface LedgerPage {
  entries: LedgerEntry[];
  page: number;
  limit: number;
  total: number;
}

@Injectable()
export class PointsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repo: PointsRepository,
    private readonly idempotency: IdempotencyService,
    private readonly config: AppConfig,
    private readonly metrics: EventMetrics,
  ) {}

  /** 0 for a user who has never charged; reading never creates a wallet. */
  async getBalance(userId: string): Promise<number> {
    return (await this.repo.findBalance(this.prisma, userId)) ?? 0;
  }

  async chargePoints(userId: string, amount: number, idempotencyKey?: string): Promise<ChargeResult> {
    const { maxCharge } = this.config.points;
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > maxCharge) {
      throw new InvalidAmountError(amount, maxCharge);
    }
    // Set only when this request charged (not when a retry answers the stored result).
    let charged = false;
    const result = await this.idempotency.run(
      { userId, scope: CHARGE_SCOPE, key: idempotencyKey, request: { amount } },
      async (tx) => {
        const credited = await this.credit(tx, userId, amount);
        charged = true;
        return credited;
      },
    );
    if (charged) this.metrics.pointsChargedAmount(amount);
    return result;
  }

  /** The caller's ledger, newest first. */
  async getHistory(userId: string, page: number, limit: number): Promise<LedgerPage> {
    const [entries, total] = await Promise.all([
      this.repo.findLedgerPage(this.prisma, userId, (page - 1) * limit, limit),
      this.repo.countLedgerEntries(this.prisma, userId),
    ]);
    return { entries, page, limit, total };
  }

  private async credit(tx: Tx, userId: string, amount: number): Promise<ChargeResult> {
    const { maxBalance } = this.config.points;
    // The conditional update takes the wallet row lock: parallel charges and payments queue on it.
    await this.repo.createWalletIfMissing(tx, userId);
    const balance = await this.repo.creditWithinLimit(tx, userId, amount, maxBalance);
    if (balance === null) {
      throw new BalanceLimitExceededError((await this.repo.findBalance(tx, userId)) ?? 0, amount, maxBalance);
    }
    await this.repo.appendLedgerEntry(tx, {
      userId,
      type: PointEntryType.CHARGE,
      amount,
      balanceAfter: balance,
      paymentId: null,
    });
    return { balance, charged: amount };
  }
}
