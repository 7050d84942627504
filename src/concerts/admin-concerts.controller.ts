import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { Roles } from '../common/auth/roles.decorator.js';
import { Role } from '../generated/prisma/enums.js';
import { CREATE_CONCERT_BODY_LIMIT_BYTES } from './concert-limits.js';
import { ConcertsService } from './concerts.service.js';
import { ChangeConcertSettingsDto } from './dto/change-concert-settings.dto.js';
import {
  ConcertResponse,
  ConcertStatsResponse,
  toConcertResponse,
  toConcertStatsResponse,
} from './dto/concert.response.js';
import { CreateConcertDto } from './dto/create-concert.dto.js';

@Roles(Role.ADMIN)
@Controller('admin/concerts')
export class AdminConcertsController {
  constructor(private readonly concerts: ConcertsService) {}

  // app.setup.ts turns config.bodyLimit into this route's Fastify bodyLimit.
  @Post()
  @RouteConfig({ bodyLimit: CREATE_CONCERT_BODY_LIMIT_BYTES })
  async create(@Body() dto: CreateConcertDto): Promise<ConcertResponse> {
    return toConcertResponse(await this.concerts.createConcert(dto));
  }

  @Get(':id')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<ConcertStatsResponse> {
    return toConcertStatsResponse(await this.concerts.getConcertStats(id));
  }

  @Patch(':id')
  async changeSettings(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ChangeConcertSettingsDto,
  ): Promise<ConcertResponse> {
    return toConcertResponse(await this.concerts.changeConcertSettings(id, dto));
  }
}
