import {
  applyDecorators,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { QueueEntryResponse } from './dto/queue-entry.response.js';
import { toQueueEntryResponse } from './dto/to-queue-entry-response.js';
import { QueueService } from './queue.service.js';

const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'Seconds until the next poll: retryAfterMs rounded up',
    schema: { type: 'integer', example: 12 },
  },
};
const ENTER_DESCRIPTION =
  'Takes a place at the back of the queue, or returns the place already held (200). ' +
  'WAITING: poll GET /concerts/{concertId}/queue after retryAfterMs. ACTIVE: list seats, hold and pay before expiresAt. ' +
  'Before salesOpenAt (from preQueueOpensAt): PRE_QUEUE with no position; places are drawn at the opening ' +
  '(GET /concerts/{concertId}/draw), and retryAfterMs brings you back shortly after it.';

/** The answers of both entry routes, GET (the seed's) and POST. */
const ApiEnterResponses = () =>
  applyDecorators(
    ApiCreatedResponse({ type: QueueEntryResponse, headers: RETRY_AFTER_HEADER, description: 'Entered' }),
    ApiOkResponse({
      type: QueueEntryResponse,
      headers: RETRY_AFTER_HEADER,
      description: 'Already in the queue',
    }),
    ApiErrors(
      'VALIDATION_FAILED',
      'UNAUTHENTICATED',
      'CONCERT_NOT_FOUND',
      'SALES_PAUSED',
      'SALES_CLOSED',
      'PRE_QUEUE_NOT_OPEN',
      'CONCURRENT_UPDATE',
    ),
  );

@ApiTags('queue')
@ApiBearerAuth()
@ApiParam({ name: 'concertId', format: 'uuid' })
@Controller('concerts/:concertId')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  /** The seed's route: enter, or read the place already held. 201 the first time, 200 after. */
  @Get('queue-entry')
  @ApiOperation({
    summary: 'Enter the queue of a concert (the original route)',
    description: ENTER_DESCRIPTION,
  })
  @ApiEnterResponses()
  enter(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueueEntryResponse> {
    return this.enterQueue(user, concertId, reply);
  }

  /** The same as GET, for clients that prefer a POST for an action that may create. */
  @Post('queue-entry')
  @ApiOperation({ summary: 'Enter the queue of a concert', description: ENTER_DESCRIPTION })
  @ApiEnterResponses()
  enterByPost(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<QueueEntryResponse> {
    return this.enterQueue(user, concertId, reply);
  }

  @Get('queue')
  @ApiOperation({
    summary: "The caller's place in the queue, without entering",
    description:
      'Poll this while WAITING, after retryAfterMs (about a second near the front). The first answer that shows ' +
      'ACTIVE claims the place and starts the window; a place not claimed within the claim time lapses (NO_SHOW). ' +
      '410 QUEUE_ENTRY_ENDED with details.reason once the place ended (within the last hour), 404 when there is none.',
  })
  @ApiHeader({
    name: 'queue-ticket',
    required: false,
    description: 'The queueTicket of an earlier answer; a missing or invalid one is ignored',
  })
  @ApiOkResponse({ type: QueueEntryResponse, headers: RETRY_AFTER_HEADER })
  @ApiErrors(
    'VALIDATION_FAILED',
    'UNAUTHENTICATED',
    'CONCERT_NOT_FOUND',
    'QUEUE_ENTRY_NOT_FOUND',
    'QUEUE_ENTRY_ENDED',
  )
  async state(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('queue-ticket') queueTicket?: string,
  ): Promise<QueueEntryResponse> {
    const state = await this.queue.getState(user.id, concertId, queueTicket);
    void reply.header('Retry-After', Math.ceil(state.retryAfterMs / 1000));
    return toQueueEntryResponse(user.id, state);
  }

  @Delete('queue-entry')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Leave the queue',
    description: 'An active window ends and goes to the next user. Idempotent.',
  })
  @ApiNoContentResponse({ description: 'Not in the queue any more' })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'CONCERT_NOT_FOUND', 'CONCURRENT_UPDATE')
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
