import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Roles } from '../common/auth/roles.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { Role } from '../generated/prisma/enums.js';
import { CREATE_CONCERT_BODY_LIMIT_BYTES } from './concert-limits.js';
import { ConcertsService } from './concerts.service.js';
import { ChangeConcertSettingsDto } from './dto/change-concert-settings.dto.js';
import {
  ConcertListAdminResponse,
  ConcertResponse,
  ConcertStatsResponse,
  toConcertListAdminResponse,
  toConcertResponse,
  toConcertStatsResponse,
} from './dto/concert.response.js';
import { CreateConcertDto } from './dto/create-concert.dto.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles(Role.ADMIN)
@Controller('admin/concerts')
export class AdminConcertsController {
  constructor(private readonly concerts: ConcertsService) {}

  // app.setup.ts turns config.bodyLimit into this route's Fastify bodyLimit.
  @Post()
  @RouteConfig({ bodyLimit: CREATE_CONCERT_BODY_LIMIT_BYTES })
  @ApiOperation({
    summary: 'Create a concert with its seats and queue (ADMIN)',
    description:
      'Give exactly one of `seats` (an explicit list) or `layout` (rows generated as A1…An). ' +
      'The body may be up to 8 MiB here.',
  })
  @ApiCreatedResponse({ type: ConcertResponse })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'INVALID_SEAT_LAYOUT',
    'CONCERT_DATE_IN_PAST',
    'INVALID_SALES_CLOSE_AT',
    'INVALID_SALES_OPEN_AT',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'PAYLOAD_TOO_LARGE',
  )
  async create(@Body() dto: CreateConcertDto): Promise<ConcertResponse> {
    return toConcertResponse(await this.concerts.createConcert(dto));
  }

  @Get()
  @ApiOperation({
    summary: 'Every concert in any sales state, latest start first (ADMIN)',
    description:
      "The operator console's list: each concert's settings, sales state as of now and seat count.",
  })
  @ApiOkResponse({ type: ConcertListAdminResponse })
  @ApiErrors('UNAUTHENTICATED', 'FORBIDDEN')
  async list(): Promise<ConcertListAdminResponse> {
    return toConcertListAdminResponse(await this.concerts.listAllConcerts());
  }

  @Get(':id')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Concert id' })
  @ApiOperation({
    summary: 'A concert with seat counts by state, revenue and queue counts (ADMIN)',
    description:
      'The live figures of an on-sale, the pre-queue size before the opening included: poll it for a dashboard.',
  })
  @ApiOkResponse({ type: ConcertStatsResponse })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHENTICATED', 'FORBIDDEN', 'CONCERT_NOT_FOUND')
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<ConcertStatsResponse> {
    return toConcertStatsResponse(await this.concerts.getConcertStats(id));
  }

  @Patch(':id')
  @ApiParam({ name: 'id', format: 'uuid', description: 'Concert id' })
  @ApiOperation({
    summary: 'Change sales state and queue settings (ADMIN)',
    description:
      'Give at least one field. Queue admission uses the new settings from its next admission on. ' +
      'PAUSED stops entries, admissions and new holds (holds made can be paid). CLOSED is final: it ' +
      'releases every unpaid hold and ends every queue place in the same transaction; a CLOSED concert ' +
      '(also one whose salesCloseAt passed) answers 409 SALES_CLOSED to any other salesState or salesCloseAt. ' +
      'salesOpenAt (an opening with a pre-queue) can be set only before the opening and before anyone has queued.',
  })
  @ApiOkResponse({ type: ConcertResponse })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'UNAUTHENTICATED',
    'FORBIDDEN',
    'CONCERT_NOT_FOUND',
    'INVALID_SALES_CLOSE_AT',
    'INVALID_SALES_OPEN_AT',
    'SALES_ALREADY_OPEN',
    'SALES_CLOSED',
    'CONCURRENT_UPDATE',
  )
  async changeSettings(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: ChangeConcertSettingsDto,
  ): Promise<ConcertResponse> {
    return toConcertResponse(await this.concerts.changeConcertSettings(id, dto));
  }
}
