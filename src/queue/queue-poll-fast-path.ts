import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenVerifier } from '../common/auth/access-token-verifier.js';
import { toQueueEntryResponse } from './dto/to-queue-entry-response.js';
import { QueueService } from './queue.service.js';

/** The route this path answers, as Fastify declares it (QueueController's `state`). */
export const POLL_ROUTE = '/concerts/:concertId/queue';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The steady WAITING poll, answered from an `onRequest` hook before Nest's pipeline (its
 * middleware, guards, pipes, interceptors and filter cost about five times what the answer
 * itself does). It answers only when it can answer exactly as QueueController's `state` would:
 * a valid access token, a concert id that is a UUID, the caller's ticket known (signed
 * `Queue-Ticket` or remembered by this replica), a fresh snapshot that says the ticket still
 * waits. Everything else (no token, ACTIVE, the first
 * poll, a stale snapshot, any error) goes on to the controller unchanged, so both paths give
 * the same body and headers (the security and CORS headers come from hooks that run before
 * this one); a test compares them.
 */
@Injectable()
export class QueuePollFastPath {
  constructor(
    private readonly tokens: AccessTokenVerifier,
    private readonly queue: QueueService,
  ) {}

  /** True when it answered; false to let the request go on to Nest. */
  answer(request: FastifyRequest, reply: FastifyReply): boolean {
    if (request.method !== 'GET' || request.routeOptions.url !== POLL_ROUTE) return false;
    const user = this.tokens.verifyHeader(request.headers.authorization);
    const { concertId } = request.params as { concertId: string };
    if (!user || !UUID.test(concertId)) return false;
    const ticketHeader = request.headers['queue-ticket'];
    const state = this.queue.waitingStateNow(
      user.id,
      concertId,
      typeof ticketHeader === 'string' ? ticketHeader : undefined,
    );
    if (!state) return false;
    void reply
      .header('Retry-After', Math.ceil(state.retryAfterMs / 1000))
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(toQueueEntryResponse(user.id, state)));
    return true;
  }
}
