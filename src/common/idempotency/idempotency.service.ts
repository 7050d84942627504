import { Injectable, Logger } from '@nestjs/common';
import { PrismaService } from '../../prisma/prisma.service.js';
import { TransactionRunner, type Tx } from '../../prisma/transaction-runner.js';
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidIdempotencyKeyError,
} from './idempotency.errors.js';
import { IdempotencyRepository, type IdempotencyKeyId } from './idempotency.repository.js';
import { hashRequest } from './request-hash.js';

export interface IdempotentRequest {
  userId: string;
  /** Names the operation, e.g. 'points.charge'. A key is unique per user and scope. */
  scope: string;
  /** The client's Idempotency-Key; without one the operation simply runs. */
  key: string | undefined;
  /** The validated request. A retry with the same key must send an equal one. */
  request: unknown;
}

const VALID_KEY = /^[\x20-\x7E]{1,255}$/;
/** Far beyond the transaction timeout: an attempt in progress this long died with its process. */
export const ABANDONED_AFTER_SECONDS = 60;
export const RETENTION_HOURS = 24;
export const DELETE_BATCH_SIZE = 1000;
/** Only successes are stored (a failed attempt releases its key), and routes with keys answer 200. */
const COMPLETED_STATUS = 200;
/** A claim can lose a race only to an attempt that released the key in between; a few tries settle it. */
const CLAIM_ATTEMPTS = 3;

type Claim = { claimedAt: Date } | { storedResult: unknown };

/**
 * Runs an operation at most once per (user, scope, Idempotency-Key). The key is claimed in
 * its own statement, and its completion is written in the operation's own transaction, so
 * the effect and the stored result commit together or not at all.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly transactions: TransactionRunner,
    private readonly repo: IdempotencyRepository,
  ) {}

  /**
   * Runs `operation` in a transaction and returns its result, or the result stored by an
   * earlier run with the same key and request. The result must be plain JSON: a retry gets
   * it back parsed from the stored copy.
   */
  async run<T>(request: IdempotentRequest, operation: (tx: Tx) => Promise<T>): Promise<T> {
    if (request.key === undefined) return this.transactions.run(operation);
    if (!VALID_KEY.test(request.key)) throw new InvalidIdempotencyKeyError();

    const id: IdempotencyKeyId = { userId: request.userId, scope: request.scope, key: request.key };
    const claim = await this.claim(id, hashRequest(request.scope, request.request));
    if ('storedResult' in claim) return claim.storedResult as T;

    try {
      return await this.transactions.run(async (tx) => {
        const result = await operation(tx);
        // Taken over by a retry that thought this attempt dead: roll the effect back.
        const completed = await this.repo.complete(tx, id, claim.claimedAt, COMPLETED_STATUS, result);
        if (!completed) throw new IdempotencyKeyInUseError();
        return result;
      });
    } catch (error) {
      // Left behind, the claim would answer 409 until it counts as abandoned; the original error matters more.
      await this.repo
        .release(this.prisma, id, claim.claimedAt)
        .catch((releaseError: unknown) =>
          this.logger.warn(`Could not release idempotency key in scope ${id.scope}: ${String(releaseError)}`),
        );
      throw error;
    }
  }

  /** Deletes keys past the retention period, in batches; returns how many. For the sweeper. */
  async deleteExpired(): Promise<number> {
    let deleted = 0;
    for (;;) {
      const batch = await this.repo.deleteOlderThan(this.prisma, RETENTION_HOURS, DELETE_BATCH_SIZE);
      deleted += batch;
      if (batch < DELETE_BATCH_SIZE) return deleted;
    }
  }

  private async claim(id: IdempotencyKeyId, requestHash: string): Promise<Claim> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const claimedAt = await this.repo.claim(this.prisma, id, requestHash, ABANDONED_AFTER_SECONDS);
      if (claimedAt) return { claimedAt };
      const existing = await this.repo.find(this.prisma, id);
      if (!existing) continue;
      if (existing.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
      if (existing.completed) return { storedResult: existing.responseBody };
      throw new IdempotencyKeyInUseError();
    }
    throw new IdempotencyKeyInUseError();
  }
}
