import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth/public.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { DrawQueryDto, DrawResponse, toDrawResponse } from './dto/draw.response.js';
import { QueueService } from './queue.service.js';

/** The pre-queue's draw, public so that anyone can check it, signed in or not. */
@ApiTags('queue')
@ApiParam({ name: 'concertId', format: 'uuid' })
@Controller('concerts/:concertId/draw')
export class DrawController {
  constructor(private readonly queue: QueueService) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: "The pre-queue's draw: commitment, seed and drawn order (public)",
    description:
      'From the start: drawCommitment = sha256(seed). After the draw at salesOpenAt: drawSeed and the entry ids in drawn ' +
      'order, paginated; the order is ascending sha256(seed bytes ‖ entry id bytes), so anyone can recompute it. ' +
      '404 DRAW_NOT_FOUND for a concert whose sales opened at once.',
  })
  @ApiOkResponse({ type: DrawResponse })
  @ApiErrors('VALIDATION_FAILED', 'CONCERT_NOT_FOUND', 'DRAW_NOT_FOUND')
  async draw(
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Query() query: DrawQueryDto,
  ): Promise<DrawResponse> {
    return toDrawResponse(concertId, await this.queue.getDraw(concertId, query.page, query.limit));
  }
}
