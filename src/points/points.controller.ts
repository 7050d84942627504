import { Body, Controller, Get, Headers, Patch, Query } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ChargePointsDto } from './dto/charge-points.dto.js';
import { toChargePointsResponse, type ChargePointsResponse } from './dto/charge-points.response.js';
import { PointHistoryQueryDto } from './dto/point-history-query.dto.js';
import { toPointHistoryResponse, type PointHistoryResponse } from './dto/point-history.response.js';
import { toPointsBalanceResponse, type PointsBalanceResponse } from './dto/points-balance.response.js';
import { PointsService } from './points.service.js';

@Controller('points')
export class PointsController {
  constructor(private readonly points: PointsService) {}

  @Get()
  async getBalance(@CurrentUser() user: AuthUser): Promise<PointsBalanceResponse> {
    return toPointsBalanceResponse(await this.points.getBalance(user.id));
  }

  @Patch('charge')
  async charge(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChargePointsDto,
    @Headers('idempotency-key') idempotencyKey?: string,
  ): Promise<ChargePointsResponse> {
    return toChargePointsResponse(await this.points.chargePoints(user.id, dto.amount, idempotencyKey));
  }

  @Get('history')
  async getHistory(
    @CurrentUser() user: AuthUser,
    @Query() query: PointHistoryQueryDto,
  ): Promise<PointHistoryResponse> {
    return toPointHistoryResponse(await this.points.getHistory(user.id, query.page, query.limit));
  }
}
