import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { ConcertsService } from './concerts.service.js';
import { ConcertListResponse, toConcertListResponse } from './dto/concert-list.response.js';

@ApiTags('concerts')
@ApiBearerAuth()
@Controller('concerts')
export class ConcertsController {
  constructor(private readonly concerts: ConcertsService) {}

  @Get()
  @ApiOperation({
    summary: "Concerts on sale, each with the caller's place in its queue",
    description: 'Reading this never enters a queue: a concert you are not queued for has no place.',
  })
  @ApiOkResponse({ type: ConcertListResponse })
  @ApiErrors('UNAUTHENTICATED')
  async list(@CurrentUser() user: AuthUser): Promise<ConcertListResponse> {
    return toConcertListResponse(await this.concerts.listConcertsOnSale(user.id));
  }
}
