import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { DomainError } from './domain-error.js';
import { toHttpError } from './http-error.filter.js';

class SeatTakenError extends DomainError {
  readonly code = 'SEAT_ALREADY_RESERVED';
}

describe('toHttpError', () => {
  it('maps a domain error through its code', () => {
    expect(toHttpError(new SeatTakenError('taken', { seatIds: ['s1'] }))).toEqual({
      statusCode: 409,
      error: 'Conflict',
      code: 'SEAT_ALREADY_RESERVED',
      message: 'taken',
      details: { seatIds: ['s1'] },
    });
  });

  it('keeps every validation message', () => {
    const body = toHttpError(
      new BadRequestException(['amount must be an integer', 'amount must not be less than 1']),
    );
    expect(body).toMatchObject({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      details: { errors: expect.any(Array) },
    });
  });

  it('names an unknown route', () => {
    expect(toHttpError(new NotFoundException('Cannot GET /x'))).toMatchObject({
      statusCode: 404,
      code: 'ROUTE_NOT_FOUND',
    });
  });

  it('recognises malformed JSON from the body parser', () => {
    const parserError = new HttpException(
      "Body is not valid JSON but content-type is set to 'application/json'",
      400,
    );
    expect(toHttpError(parserError)).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
  });

  it('maps a deadlock nested in a driver error to 409 CONCURRENT_UPDATE', () => {
    const error = {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      meta: { driverAdapterError: { cause: { originalCode: '40P01' } } },
    };
    expect(toHttpError(error)).toMatchObject({ statusCode: 409, code: 'CONCURRENT_UPDATE' });
  });

  it('maps an unreachable database to 503', () => {
    expect(
      toHttpError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toMatchObject({
      statusCode: 503,
      code: 'SERVICE_UNAVAILABLE',
    });
  });

  it.each([
    'Client has encountered a connection error and is not queryable',
    'Connection terminated unexpectedly',
    'timeout exceeded when trying to connect',
    'Connection terminated due to connection timeout',
  ])('maps the driver losing its connection (%s) to 503', (message) => {
    expect(toHttpError(new Error(message))).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('maps a raw query whose connection the server closed to 503', () => {
    const error = {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      message: 'Raw query failed. Code: `N/A`. Message: `Server has closed the connection.`',
      meta: { driverAdapterError: { name: 'DriverAdapterError', cause: { kind: 'ConnectionClosed' } } },
    };
    expect(toHttpError(error)).toMatchObject({ statusCode: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('hides everything else behind a generic 500', () => {
    const body = toHttpError(new TypeError('secret internals at /src/x.ts:1'));
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'INTERNAL_ERROR',
      message: 'Internal server error',
    });
  });
});
