import { ParseUUIDPipe, type ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import type { FastifyRequest } from 'fastify';
import { ApiValidationPipe } from '../errors/validation-failed.js';
import { PayReservationsDto } from '../../payments/dto/pay-reservations.dto.js';
import { PaymentFastRoute } from '../../payments/payment.fast-route.js';
import type { PaymentsService } from '../../payments/payments.service.js';
import { HoldSeatsDto } from '../../reservations/dto/hold-seats.dto.js';
import { SeatMapQueryDto } from '../../reservations/dto/seat-map-query.dto.js';
import { HoldFastRoute, SeatMapFastRoute } from '../../reservations/reservations.fast-routes.js';
import type { ReservationsService } from '../../reservations/reservations.service.js';

/**
 * A fast route must take only what the controller's pipes accept, as the same value: whatever
 * it takes, Nest would have answered alike, and whatever it leaves, Nest answers in full.
 */
const pipe = new ApiValidationPipe();
const validated = (value: unknown, metadata: ArgumentMetadata) =>
  pipe.transform(value, metadata).then(
    (dto) => ({ ...(dto as object) }),
    () => 'refused' as const,
  );
const request = (parts: { params?: unknown; query?: unknown; body?: unknown; headers?: object }) =>
  ({ params: {}, query: {}, headers: {}, ...parts }) as FastifyRequest;

const seatMap = new SeatMapFastRoute({} as ReservationsService);
const hold = new HoldFastRoute({} as ReservationsService);
const payment = new PaymentFastRoute({} as PaymentsService);

// Mostly well-formed input near the limits, where a fast route and the DTO could disagree.
const uuid = fc.oneof(
  { arbitrary: fc.uuid(), weight: 6 },
  fc.uuid().map((id) => id.toUpperCase()),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-uuid', '', ' '),
  fc.string(),
);
const numberText = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '0',
      '1',
      '500',
      '501',
      '1000000',
      '1000001',
      '01',
      '+1',
      ' 1',
      '1.0',
      '1e3',
      '',
      '0x10',
    ),
    weight: 4,
  },
  { arbitrary: fc.integer({ min: 0, max: 502 }).map(String), weight: 2 },
  fc.integer({ min: -1, max: 1_000_002 }).map(String),
  fc.string(),
);
const anything = fc.oneof(fc.anything(), uuid, fc.array(uuid, { maxLength: 25 }));
const someIds = (ids: fc.Arbitrary<string>) =>
  fc.oneof(
    fc.array(ids, { maxLength: 6 }),
    fc.array(ids, { minLength: 14, maxLength: 24 }),
    // A repeated id, in either case.
    fc.tuple(fc.uuid(), fc.array(ids, { maxLength: 3 })).map(([id, rest]) => [id, ...rest, id.toUpperCase()]),
  );
const idList = fc.oneof({ arbitrary: someIds(fc.uuid()), weight: 4 }, someIds(uuid), anything);

describe('Fast routes take only what the controller would accept, as the same value', () => {
  it('seat map: GET /reservation/:concertId/seats', async () => {
    const query = fc.dictionary(
      fc.constantFrom('page', 'limit', 'status', 'other'),
      fc.oneof(
        numberText,
        fc.constantFrom('AVAILABLE', 'HELD', 'SOLD', 'available', 'GONE'),
        fc.array(numberText),
      ),
    );
    await fc.assert(
      fc.asyncProperty(uuid, query, async (concertId, query) => {
        const taken = seatMap.parse(request({ params: { concertId }, query }));
        if (taken === undefined) return;
        const id = await new ParseUUIDPipe().transform(concertId, { type: 'param' });
        const dto = await validated(query, { type: 'query', metatype: SeatMapQueryDto });
        expect({ concertId: id, ...(dto as object) }).toEqual(taken);
      }),
      { numRuns: 3_000 },
    );
  });

  it('hold: POST /reservation/seat', async () => {
    const body = fc.oneof(
      fc.record({ concertId: uuid, seatIds: idList }),
      fc.record({ concertId: uuid, seatIds: idList, extra: anything }),
      fc.record({ concertId: uuid }, { requiredKeys: [] }),
      anything,
    );
    await fc.assert(
      fc.asyncProperty(body, async (body) => {
        const taken = hold.parse(request({ body }));
        if (taken === undefined) return;
        expect(await validated(body, { type: 'body', metatype: HoldSeatsDto })).toEqual(taken);
      }),
      { numRuns: 3_000 },
    );
  });

  it('payment: POST /payment, without an Idempotency-Key', async () => {
    const body = fc.oneof(
      fc.record({ reservationIds: idList }),
      fc.record({ reservationIds: idList, extra: anything }),
      anything,
    );
    await fc.assert(
      fc.asyncProperty(body, async (body) => {
        const taken = payment.parse(request({ body }));
        if (taken === undefined) return;
        expect(await validated(body, { type: 'body', metatype: PayReservationsDto })).toEqual({
          reservationIds: taken,
        });
      }),
      { numRuns: 3_000 },
    );
  });

  it('takes the requests a client sends in a rush', () => {
    const [concertId, seatId, otherSeatId] = fc.sample(fc.uuid(), 3);
    expect(seatMap.parse(request({ params: { concertId }, query: { page: '3', limit: '100' } }))).toEqual({
      concertId,
      page: 3,
      limit: 100,
    });
    expect(seatMap.parse(request({ params: { concertId }, query: {} }))).toEqual({
      concertId,
      page: 1,
      limit: 100,
    });
    expect(
      seatMap.parse(request({ params: { concertId }, query: { status: 'AVAILABLE', limit: '500' } })),
    ).toEqual({ concertId, page: 1, limit: 500, status: 'AVAILABLE' });
    expect(hold.parse(request({ body: { concertId, seatIds: [seatId, otherSeatId] } }))).toEqual({
      concertId,
      seatIds: [seatId, otherSeatId],
    });
    expect(payment.parse(request({ body: { reservationIds: [seatId] } }))).toEqual([seatId]);
  });

  it('leaves a keyed payment, upper-case ids and a repeated id to Nest', () => {
    const [concertId, id] = fc.sample(fc.uuid(), 2) as [string, string];
    const body = { reservationIds: [id] };
    expect(payment.parse(request({ body, headers: { 'idempotency-key': 'k-1' } }))).toBeUndefined();
    expect(payment.parse(request({ body: { reservationIds: [id, id] } }))).toBeUndefined();
    expect(
      hold.parse(request({ body: { concertId: concertId.toUpperCase(), seatIds: [id] } })),
    ).toBeUndefined();
    expect(seatMap.parse(request({ params: { concertId }, query: { page: '01' } }))).toBeUndefined();
  });
});
