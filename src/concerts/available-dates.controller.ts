import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { ConcertsService } from './concerts.service.js';
import { AvailableDatesResponse, toAvailableDatesResponse } from './dto/available-dates.response.js';

/** Part of the catalog that the contract places under /reservation (seed §4.4). */
@ApiTags('reservations')
@ApiBearerAuth()
@Controller('reservation')
export class AvailableDatesController {
  constructor(private readonly concerts: ConcertsService) {}

  @Get('available-dates')
  @ApiOperation({
    summary: 'Future concerts on sale that still have a free seat',
    description:
      'Soonest first, each with its date (YYYY-MM-DD in UTC) and id for the queue and the seat map.',
  })
  @ApiOkResponse({ type: AvailableDatesResponse })
  @ApiErrors('UNAUTHENTICATED')
  async list(): Promise<AvailableDatesResponse> {
    return toAvailableDatesResponse(await this.concerts.listAvailableDates());
  }
}
