import type { PointEntryType } from '../../generated/prisma/enums.js';
import type { LedgerPage } from '../points.service.js';

export class PointHistoryEntryResponse {
  id!: string;
  type!: PointEntryType;
  /** Signed: a payment is negative. */
  amount!: number;
  balanceAfter!: number;
  paymentId!: string | null;
  createdAt!: string;
}

export class PaginationResponse {
  page!: number;
  limit!: number;
  total!: number;
  totalPages!: number;
}

export class PointHistoryResponse {
  history!: PointHistoryEntryResponse[];
  pagination!: PaginationResponse;
}

export function toPointHistoryResponse(ledger: LedgerPage): PointHistoryResponse {
  return {
    history: ledger.entries.map((entry) => ({
      id: entry.id,
      type: entry.type,
      amount: entry.amount,
      balanceAfter: entry.balanceAfter,
      paymentId: entry.paymentId,
      createdAt: entry.createdAt.toISOString(),
    })),
    pagination: {
      page: ledger.page,
      limit: ledger.limit,
      total: ledger.total,
      totalPages: Math.ceil(ledger.total / ledger.limit),
    },
  };
}
