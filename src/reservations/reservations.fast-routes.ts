import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../common/auth/auth-user.js';
import {
  plainObject,
  plainPositiveInt,
  plainUuid,
  plainUuidList,
  type FastAnswer,
  type FastRoute,
} from '../common/http/fast-routes.js';
import { MAX_PAGE } from '../common/http/pagination.js';
import { SeatStatus } from '../generated/prisma/enums.js';
import { toHoldSeatsResponse } from './dto/hold-seats.response.js';
import { SEAT_PAGE_LIMITS } from './dto/seat-map-query.dto.js';
import { seatMapResponseJson } from './dto/seat-map.response.js';
import { ReservationsService } from './reservations.service.js';

interface SeatMapInput {
  concertId: string;
  page: number;
  limit: number;
  status?: SeatStatus;
}

const SEAT_MAP_QUERY_KEYS = new Set(['page', 'limit', 'status']);
const SEAT_STATUSES = new Set<unknown>(Object.values(SeatStatus));
/** More seats than any hold may take: the service names the configured limit. */
const MAX_SEATS_TAKEN_FAST = 16;

/** ReservationsController's `seatMap` (GET /reservation/:concertId/seats), before Nest. */
@Injectable()
export class SeatMapFastRoute implements FastRoute<SeatMapInput> {
  readonly method = 'GET';
  readonly url = '/reservation/:concertId/seats';

  constructor(private readonly reservations: ReservationsService) {}

  parse(request: FastifyRequest): SeatMapInput | undefined {
    const concertId = plainUuid((request.params as { concertId?: unknown }).concertId);
    const query = request.query as Record<string, unknown>;
    if (concertId === undefined || !Object.keys(query).every((key) => SEAT_MAP_QUERY_KEYS.has(key)))
      return undefined;
    const page = query.page === undefined ? 1 : plainPositiveInt(query.page, MAX_PAGE);
    const limit =
      query.limit === undefined
        ? SEAT_PAGE_LIMITS.defaultLimit
        : plainPositiveInt(query.limit, SEAT_PAGE_LIMITS.maxLimit);
    if (page === undefined || limit === undefined) return undefined;
    if (query.status === undefined) return { concertId, page, limit };
    return SEAT_STATUSES.has(query.status)
      ? { concertId, page, limit, status: query.status as SeatStatus }
      : undefined;
  }

  async handle(user: AuthUser, { concertId, ...page }: SeatMapInput): Promise<FastAnswer> {
    return {
      status: 200,
      body: seatMapResponseJson(await this.reservations.getSeatMap(user.id, concertId, page)),
    };
  }
}

interface HoldInput {
  concertId: string;
  seatIds: string[];
}

/** ReservationsController's `hold` (POST /reservation/seat), before Nest. */
@Injectable()
export class HoldFastRoute implements FastRoute<HoldInput> {
  readonly method = 'POST';
  readonly url = '/reservation/seat';

  constructor(private readonly reservations: ReservationsService) {}

  parse(request: FastifyRequest): HoldInput | undefined {
    const body = plainObject(request.body, ['concertId', 'seatIds']);
    const concertId = plainUuid(body?.concertId);
    const seatIds = plainUuidList(body?.seatIds, MAX_SEATS_TAKEN_FAST);
    return concertId && seatIds ? { concertId, seatIds } : undefined;
  }

  async handle(user: AuthUser, { concertId, seatIds }: HoldInput): Promise<FastAnswer> {
    return {
      status: 201,
      body: toHoldSeatsResponse(await this.reservations.holdSeats(user.id, concertId, seatIds)),
    };
  }
}
