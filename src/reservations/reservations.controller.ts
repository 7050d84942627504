import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { HoldSeatsDto } from './dto/hold-seats.dto.js';
import { toHoldSeatsResponse, type HoldSeatsResponse } from './dto/hold-seats.response.js';
import { ReservationListQueryDto } from './dto/reservation-list-query.dto.js';
import { toReservationListResponse, type ReservationListResponse } from './dto/reservation.response.js';
import { SeatMapQueryDto } from './dto/seat-map-query.dto.js';
import { toSeatMapResponse, type SeatMapResponse } from './dto/seat-map.response.js';
import { ReservationsService } from './reservations.service.js';

/** GET /reservation/available-dates lives in the concerts feature; its static segment wins over these params. */
@Controller('reservation')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Get(':concertId/seats')
  async seatMap(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Query() query: SeatMapQueryDto,
  ): Promise<SeatMapResponse> {
    return toSeatMapResponse(await this.reservations.getSeatMap(user.id, concertId, query.page, query.limit));
  }

  @Post('seat')
  async hold(@CurrentUser() user: AuthUser, @Body() dto: HoldSeatsDto): Promise<HoldSeatsResponse> {
    return toHoldSeatsResponse(await this.reservations.holdSeats(user.id, dto.concertId, dto.seatIds));
  }

  @Get()
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ReservationListQueryDto,
  ): Promise<ReservationListResponse> {
    return toReservationListResponse(
      await this.reservations.listReservations(user.id, query.page, query.limit, query.status),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  async cancel(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) reservationId: string,
  ): Promise<void> {
    await this.reservations.cancelReservation(user.id, reservationId);
  }
}
