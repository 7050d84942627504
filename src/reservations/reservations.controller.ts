import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { HoldSeatsDto } from './dto/hold-seats.dto.js';
import { HoldSeatsResponse, toHoldSeatsResponse } from './dto/hold-seats.response.js';
import { ReservationListQueryDto } from './dto/reservation-list-query.dto.js';
import { ReservationListResponse, toReservationListResponse } from './dto/reservation.response.js';
import { SeatMapQueryDto } from './dto/seat-map-query.dto.js';
import { SeatMapResponse, seatMapResponseJson } from './dto/seat-map.response.js';
import { ReservationsService } from './reservations.service.js';

/** GET /reservation/available-dates lives in the concerts feature; its static segment wins over these params. */
@ApiTags('reservations')
@ApiBearerAuth()
@Controller('reservation')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Get(':concertId/seats')
  @ApiParam({ name: 'concertId', format: 'uuid' })
  @ApiOperation({
    summary: "A concert's seat map (needs an ACTIVE queue window)",
    description:
      'Seats in display order, paginated; `?status=AVAILABLE` (or HELD, SOLD) lists only those. ' +
      '`mine` marks the seats you hold or bought.',
  })
  @ApiOkResponse({ type: SeatMapResponse })
  @ApiErrors(
    'VALIDATION_FAILED',
    'UNAUTHENTICATED',
    'QUEUE_NOT_ACTIVE',
    'CONCERT_NOT_FOUND',
    'SALES_NOT_OPEN',
    'SALES_CLOSED',
  )
  // The body is a SeatMapResponse written as JSON text (see seatMapResponseJson): Fastify sends a string as it is.
  @Header('Content-Type', 'application/json; charset=utf-8')
  async seatMap(
    @CurrentUser() user: AuthUser,
    @Param('concertId', ParseUUIDPipe) concertId: string,
    @Query() query: SeatMapQueryDto,
  ): Promise<string> {
    return seatMapResponseJson(await this.reservations.getSeatMap(user.id, concertId, query));
  }

  @Post('seat')
  @ApiOperation({
    summary: 'Hold seats until expiresAt (needs an ACTIVE queue window)',
    description:
      'All the seats or none. At most MAX_SEATS_PER_RESERVATION (4) live holds per user and concert. ' +
      'Pay with POST /payment before expiresAt; an unpaid hold lapses and its seat is free again. ' +
      'Refused while sales are PAUSED or CLOSED (409), whatever the window, and before they open (409 SALES_NOT_OPEN).',
  })
  @ApiCreatedResponse({ type: HoldSeatsResponse })
  @ApiErrors(
    'VALIDATION_FAILED',
    'INVALID_JSON',
    'UNAUTHENTICATED',
    'QUEUE_NOT_ACTIVE',
    'CONCERT_NOT_FOUND',
    'SALES_NOT_OPEN',
    'SALES_PAUSED',
    'SALES_CLOSED',
    'SEAT_NOT_FOUND',
    'SEAT_ALREADY_RESERVED',
    'HOLD_LIMIT_EXCEEDED',
    'CONCURRENT_UPDATE',
  )
  async hold(@CurrentUser() user: AuthUser, @Body() dto: HoldSeatsDto): Promise<HoldSeatsResponse> {
    return toHoldSeatsResponse(await this.reservations.holdSeats(user.id, dto.concertId, dto.seatIds));
  }

  @Get()
  @ApiOperation({
    summary: "The caller's reservations, newest first",
    description:
      'Paginated; `?status=` filters. A PENDING one shows expiresAt (pay before it), a CONFIRMED one paidAt.',
  })
  @ApiOkResponse({ type: ReservationListResponse })
  @ApiErrors('VALIDATION_FAILED', 'UNAUTHENTICATED')
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
  @ApiParam({ name: 'id', format: 'uuid', description: 'Reservation id' })
  @ApiOperation({
    summary: 'Cancel a PENDING hold and free its seat',
    description: 'A paid, lapsed or already cancelled reservation answers 409 RESERVATION_NOT_PENDING.',
  })
  @ApiNoContentResponse({ description: 'Cancelled' })
  @ApiErrors(
    'VALIDATION_FAILED',
    'UNAUTHENTICATED',
    'RESERVATION_FORBIDDEN',
    'RESERVATION_NOT_FOUND',
    'RESERVATION_NOT_PENDING',
    'CONCURRENT_UPDATE',
  )
  async cancel(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) reservationId: string,
  ): Promise<void> {
    await this.reservations.cancelReservation(user.id, reservationId);
  }
}
