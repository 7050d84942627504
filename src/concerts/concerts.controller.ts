import { Controller, Get } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ConcertsService } from './concerts.service.js';
import { ConcertListResponse, toConcertListResponse } from './dto/concert-list.response.js';

@Controller('concerts')
export class ConcertsController {
  constructor(private readonly concerts: ConcertsService) {}

  @Get()
  async list(@CurrentUser() user: AuthUser): Promise<ConcertListResponse> {
    return toConcertListResponse(await this.concerts.listConcertsOnSale(user.id));
  }
}
