import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { QueueEntryResponse } from './dto/queue-entry.response.js';
import { toQueueEntryResponse } from './dto/to-queue-entry-response.js';
import { QueueService } from './queue.service.js';

@Controller('concerts/:concertId')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  /** The seed's route: enter, or read the place already held. 201 the first time, 200 after. */
  @Get('queue-entry')
  enter(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueueEntryResponse> {
    return this.enterQueue(user, concertId, reply);
  }

  /** The same as GET, for clients that prefer a POST for an action that may create. */
  @Post('queue-entry')
  enterByPost(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueueEntryResponse> {
    return this.enterQueue(user, concertId, reply);
  }

  @Get('queue')
  async state(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueueEntryResponse> {
    const state = await this.queue.getState(user.id, concertId);
    void reply.header('Retry-After', Math.ceil(state.retryAfterMs / 1000));
    return toQueueEntryResponse(user.id, state);
  }

  @Delete('queue-entry')
  @HttpCode(204)
  async leave(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
  ): Promise<void> {
    await this.queue.leave(user.id, concertId);
  }

  private async enterQueue(
    user: AuthUser,
    concertId: string,
    reply: FastifyReply,
  ): Promise<QueueEntryResponse> {
    const { created, state } = await this.queue.enter(user.id, concertId);
    void reply.status(created ? 201 : 200).header('Retry-After', Math.ceil(state.retryAfterMs / 1000));
    return toQueueEntryResponse(user.id, state);
  }
}
