import { ApiProperty } from '@nestjs/swagger';
import { PaginationResponse, toPaginationResponse } from '../../common/http/pagination.js';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { PointEntryType } from '../../generated/prisma/enums.js';
import type { LedgerPage } from '../points.service.js';

export class PointHistoryEntryResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.ledgerEntryId })
  id!: string;

  @ApiProperty({ enum: PointEntryType, enumName: 'PointEntryType', example: PointEntryType.PAYMENT })
  type!: PointEntryType;

  /** Signed: a payment is negative. */
  @ApiProperty({ type: 'integer', description: 'Signed: a payment is negative', example: -100_000 })
  amount!: number;

  @ApiProperty({ type: 'integer', example: 5_000 })
  balanceAfter!: number;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: EXAMPLE.paymentId })
  paymentId!: string | null;

  @ApiProperty({ format: 'date-time', example: EXAMPLE.createdAt })
  createdAt!: string;
}

export class PointHistoryResponse {
  @ApiProperty({ type: [PointHistoryEntryResponse] })
  history!: PointHistoryEntryResponse[];

  @ApiProperty({ type: PaginationResponse })
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
    pagination: toPaginationResponse(ledger),
  };
}
