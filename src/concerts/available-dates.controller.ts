import { Controller, Get } from '@nestjs/common';
import { ConcertsService } from './concerts.service.js';
import { AvailableDatesResponse, toAvailableDatesResponse } from './dto/available-dates.response.js';

/** Part of the catalog that the contract places under /reservation (seed §4.4). */
@Controller('reservation')
export class AvailableDatesController {
  constructor(private readonly concerts: ConcertsService) {}

  @Get('available-dates')
  async list(): Promise<AvailableDatesResponse> {
    return toAvailableDatesResponse(await this.concerts.listAvailableDates());
  }
}
