import type { Tx } from '../../src/prisma/transaction-runner.js';
import type {
  IdempotencyKeyId,
  IdempotencyRepository,
  StoredIdempotencyKey,
} from '../../src/common/idempotency/idempotency.repository.js';
import type { PublicOf } from './fake.js';

interface KeyRow {
  requestHash: string;
  createdAt: number;
  completedAt: number | null;
  responseStatus: number | null;
  responseBody: string | null;
}

/** idempotency_keys in memory, with a clock the test moves (the real one reads the database clock). */
export class InMemoryIdempotencyRepository implements PublicOf<IdempotencyRepository> {
  private readonly rows = new Map<string, KeyRow>();
  private nowMs = Date.parse('2025-01-01T10:00:00Z');

  advanceSeconds(seconds: number): void {
    this.nowMs += seconds * 1000;
  }

  row(id: IdempotencyKeyId): Readonly<KeyRow> | undefined {
    return this.rows.get(rowKey(id));
  }

  get size(): number {
    return this.rows.size;
  }

  async claim(
    _tx: Tx,
    id: IdempotencyKeyId,
    requestHash: string,
    abandonedAfterSeconds: number,
  ): Promise<Date | null> {
    const existing = this.rows.get(rowKey(id));
    if (!existing) {
      this.rows.set(rowKey(id), {
        requestHash,
        createdAt: this.nowMs,
        completedAt: null,
        responseStatus: null,
        responseBody: null,
      });
      return new Date(this.nowMs);
    }
    const abandoned = existing.createdAt < this.nowMs - abandonedAfterSeconds * 1000;
    if (existing.completedAt !== null || existing.requestHash !== requestHash || !abandoned) return null;
    existing.createdAt = this.nowMs;
    return new Date(this.nowMs);
  }

  async find(_tx: Tx, id: IdempotencyKeyId): Promise<StoredIdempotencyKey | null> {
    const row = this.rows.get(rowKey(id));
    if (!row) return null;
    return {
      requestHash: row.requestHash,
      completed: row.completedAt !== null,
      responseBody: row.responseBody === null ? null : JSON.parse(row.responseBody),
    };
  }

  async complete(
    _tx: Tx,
    id: IdempotencyKeyId,
    claimedAt: Date,
    responseStatus: number,
    responseBody: unknown,
  ): Promise<boolean> {
    const row = this.rows.get(rowKey(id));
    if (!row || row.completedAt !== null || row.createdAt !== claimedAt.getTime()) return false;
    Object.assign(row, {
      completedAt: this.nowMs,
      responseStatus,
      responseBody: JSON.stringify(responseBody),
    });
    return true;
  }

  async release(_tx: Tx, id: IdempotencyKeyId, claimedAt: Date): Promise<void> {
    const row = this.rows.get(rowKey(id));
    if (row && row.completedAt === null && row.createdAt === claimedAt.getTime()) {
      this.rows.delete(rowKey(id));
    }
  }

  async deleteOlderThan(_tx: Tx, retentionHours: number, batchSize: number): Promise<number> {
    const cutoff = this.nowMs - retentionHours * 3_600_000;
    const expired = [...this.rows].filter(([, row]) => row.createdAt < cutoff).slice(0, batchSize);
    for (const [key] of expired) this.rows.delete(key);
    return expired.length;
  }
}

function rowKey(id: IdempotencyKeyId): string {
  return JSON.stringify([id.userId, id.scope, id.key]);
}
