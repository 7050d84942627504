import { Body, Controller, Get, Headers, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { IDEMPOTENCY_KEY_HEADER } from '../common/openapi/idempotency-key.header.js';
import { ChargePointsDto } from './dto/charge-points.dto.js';
import { ChargePointsResponse, toChargePointsResponse } from './dto/charge-points.response.js';
import { PointHistoryQueryDto } from './dto/point-history-query.dto.js';
import { PointHistoryResponse, toPointHistoryResponse } from './dto/point-history.response.js';
import { PointsBalanceResponse, toPointsBalanceResponse } from './dto/points-balance.response.js';
import { PointsService } from './points.service.js';

@ApiTags('points')
@ApiBearerAuth()
@Controller('points')
export class PointsController {
  constructor(private readonly points: PointsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's balance", description: 'In points; a new account has 0.' })
  @ApiOkResponse({ type: PointsBalanceResponse })
  @ApiErrors('UNAUTHENTICATED')
  async getBalance(@CurrentUser() user: AuthUser): Promise<PointsBalanceResponse> {
    return toPointsBalanceResponse(await this.points.getBalance(user.id));
  }

  @Patch('charge')
  @ApiOperation({
    summary: 'Add points to the balance',
    description: 'Send an Idempotency-Key to retry safely: a repeat with the same key and body charges once.',
  })
  @ApiHeader(IDEMPOTENCY_KEY_HEADER)
  @ApiOkResponse({ type: ChargePointsResponse })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'INVALID_AMOUNT',
    'BALANCE_LIMIT_EXCEEDED',
    'INVALID_IDEMPOTENCY_KEY',
    'UNAUTHENTICATED',
    'IDEMPOTENCY_KEY_IN_USE',
    'CONCURRENT_UPDATE',
    'IDEMPOTENCY_KEY_REUSED',
  )
  async charge(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChargePointsDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<ChargePointsResponse> {
    return toChargePointsResponse(await this.points.chargePoints(user.id, dto.amount, idempotencyKey));
  }

  @Get('history')
  @ApiOperation({
    summary: "The caller's charges and payments, newest first",
    description: 'Each entry with its amount and the balance after it, paginated.',
  })
  @ApiOkResponse({ type: PointHistoryResponse })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHENTICATED')
  async getHistory(
    @CurrentUser() user: AuthUser,
    @Query() query: PointHistoryQueryDto,
  ): Promise<PointHistoryResponse> {
    return toPointHistoryResponse(await this.points.getHistory(user.id, query.page, query.limit));
  }
}
