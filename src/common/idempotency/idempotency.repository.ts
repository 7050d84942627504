import { Injectable } from '@nestjs/common';
import type { Db } from '../../prisma/transaction-runner.js';

export interface IdempotencyKeyId {
  userId: string;
  scope: string;
  key: string;
}

export interface StoredIdempotencyKey {
  requestHash: string;
  completed: boolean;
  responseBody: unknown;
}

@Injectable()
export class IdempotencyRepository {
  /**
   * Inserts the key as in progress, or takes over an attempt of the same request that has
   * been in progress longer than `abandonedAfterSeconds`. Returns the claim's created_at,
   * which identifies this attempt from then on, or null when another row holds the key.
   */
  async claim(
    tx: Db,
    id: IdempotencyKeyId,
    requestHash: string,
    abandonedAfterSeconds: number,
  ): Promise<Date | null> {
    const rows = await tx.$queryRaw<{ claimedAt: Date }[]>`
      INSERT INTO idempotency_keys (user_id, scope, key, request_hash, created_at)
      VALUES (${id.userId}::uuid, ${id.scope}, ${id.key}, ${requestHash}, clock_timestamp())
      ON CONFLICT (user_id, scope, key) DO UPDATE SET created_at = clock_timestamp()
        WHERE idempotency_keys.completed_at IS NULL
          AND idempotency_keys.request_hash = EXCLUDED.request_hash
          AND idempotency_keys.created_at < clock_timestamp() - make_interval(secs => ${abandonedAfterSeconds}::int)
      RETURNING created_at AS "claimedAt"`;
    return rows[0]?.claimedAt ?? null;
  }

  async find(tx: Db, id: IdempotencyKeyId): Promise<StoredIdempotencyKey | null> {
    const rows = await tx.$queryRaw<StoredIdempotencyKey[]>`
      SELECT request_hash AS "requestHash", completed_at IS NOT NULL AS completed, response_body AS "responseBody"
      FROM idempotency_keys
      WHERE user_id = ${id.userId}::uuid AND scope = ${id.scope} AND key = ${id.key}`;
    return rows[0] ?? null;
  }

  /** Stores the response, only if the claim made at `claimedAt` still holds the key. */
  async complete(
    tx: Db,
    id: IdempotencyKeyId,
    claimedAt: Date,
    responseStatus: number,
    responseBody: unknown,
  ): Promise<boolean> {
    const updated = await tx.$executeRaw`
      UPDATE idempotency_keys
      SET response_status = ${responseStatus}::int, response_body = ${JSON.stringify(responseBody)}::jsonb,
          completed_at = clock_timestamp()
      WHERE user_id = ${id.userId}::uuid AND scope = ${id.scope} AND key = ${id.key}
        AND completed_at IS NULL AND created_at = ${claimedAt}::timestamptz`;
    return updated === 1;
  }

  /** Frees the key after a failed attempt, unless another attempt has taken it over since. */
  async release(tx: Db, id: IdempotencyKeyId, claimedAt: Date): Promise<void> {
    await tx.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE user_id = ${id.userId}::uuid AND scope = ${id.scope} AND key = ${id.key}
        AND completed_at IS NULL AND created_at = ${claimedAt}::timestamptz`;
  }

  /** Deletes up to `batchSize` keys created more than `retentionHours` ago; returns how many. */
  async deleteOlderThan(tx: Db, retentionHours: number, batchSize: number): Promise<number> {
    return tx.$executeRaw`
      DELETE FROM idempotency_keys
      WHERE (user_id, scope, key) IN (
        SELECT user_id, scope, key FROM idempotency_keys
        WHERE created_at < clock_timestamp() - make_interval(hours => ${retentionHours}::int)
        ORDER BY created_at
        LIMIT ${batchSize}::int
        FOR UPDATE SKIP LOCKED)`;
  }
}
