import { STATUS_CODES } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { STATUS_BY_CODE, type ErrorCode } from './error-codes.js';
import { DomainError } from './domain-error.js';
import { classifyDatabaseError, isStatementTimeout } from './database-errors.js';
import { EventMetrics } from '../../metrics/event-metrics.js';

/** The part of Fastify's reply the filter uses (absent when the context is not HTTP). */
interface FastifyReplyHeaders {
  header?(name: string, value: string): unknown;
  getHeader?(name: string): unknown;
}

export interface HttpErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

const CODE_BY_HTTP_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export function httpErrorBody(
  statusCode: number,
  code: ErrorCode,
  message: string,
  details?: Record<string, unknown>,
): HttpErrorBody {
  const body: HttpErrorBody = { statusCode, error: statusText(statusCode), code, message };
  if (details) body.details = details;
  return body;
}

/** Turns anything thrown into a status and a JSON body. Never leaks internals. */
export function toHttpError(exception: unknown): HttpErrorBody {
  if (exception instanceof DomainError) {
    return httpErrorBody(
      STATUS_BY_CODE[exception.code],
      exception.code,
      exception.message,
      exception.details,
    );
  }
  if (exception instanceof HttpException) return fromHttpException(exception);

  const database = classifyDatabaseError(exception);
  if (database) return httpErrorBody(STATUS_BY_CODE[database.code], database.code, database.message);

  // Fastify's own errors (body parsing, size limits) carry a 4xx statusCode and an FST_ code.
  const fastify = exception as { statusCode?: unknown; code?: unknown; message?: unknown };
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const code: ErrorCode =
      fastify.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fastify.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'INVALID_JSON'
        : (CODE_BY_HTTP_STATUS[fastify.statusCode] ?? 'BAD_REQUEST');
    const message =
      code === 'INVALID_JSON'
        ? 'Request body is not valid JSON'
        : typeof fastify.message === 'string'
          ? fastify.message
          : 'Bad request';
    return httpErrorBody(fastify.statusCode, code, message);
  }
  return httpErrorBody(500, 'INTERNAL_ERROR', 'Internal server error');
}

function fromHttpException(exception: HttpException): HttpErrorBody {
  const status = exception.getStatus();
  const response = exception.getResponse();
  const code = CODE_BY_HTTP_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
  const {
    message,
    code: explicitCode,
    details,
  } = typeof response === 'object' && response !== null
    ? (response as { message?: unknown; code?: ErrorCode; details?: Record<string, unknown> })
    : { message: response, code: undefined, details: undefined };
  // ValidationPipe puts every failed constraint in `message`: keep the list as details.
  if (Array.isArray(message))
    return httpErrorBody(status, explicitCode ?? code, message.join('; '), { errors: message });
  const text = typeof message === 'string' ? message : exception.message;
  // Fastify's JSON parser failure arrives as a plain HttpException.
  if (status === 400 && /not valid JSON|cannot be empty when content-type/i.test(text)) {
    return httpErrorBody(400, 'INVALID_JSON', 'Request body is not valid JSON');
  }
  return httpErrorBody(status, explicitCode ?? code, routeMessage(status, text), details);
}

function routeMessage(status: number, message: string): string {
  // Nest's "Cannot GET /x" is fine; internal messages of 5xx are not for clients.
  return status >= 500 ? statusText(status) : message;
}

function statusText(status: number): string {
  const name = HttpStatus[status];
  if (!name) return STATUS_CODES[status] ?? 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ');
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods the path has routes for: a wrong method on a real path is 405 with them, not 404. */
function allowedMethods(fastify: FastifyInstance, path: string): string[] {
  return METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null);
}

@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: EventMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.answer(exception, http.getRequest<{ method: string; url: string }>(), http.getResponse());
  }

  /** What `catch` does, for a request answered outside Nest's pipeline (FastRoutes). */
  answer(exception: unknown, request: { method: string; url: string }, response: FastifyReplyHeaders): void {
    let body = toHttpError(exception);
    if (body.statusCode >= 500) this.logger.error(exception);
    if (body.statusCode === 503 && isStatementTimeout(exception)) this.metrics.statementTimedOut();
    if (body.code === 'ROUTE_NOT_FOUND') {
      const { method, url } = request;
      const path = url.split('?')[0]!;
      const allow = allowedMethods(this.adapterHost.httpAdapter.getInstance(), path);
      // A route of this method that answered 404 itself (a missing asset) stays a 404.
      if (allow.length && !allow.includes(method.toUpperCase())) {
        response.header?.('Allow', allow.join(', '));
        body = httpErrorBody(
          405,
          'METHOD_NOT_ALLOWED',
          `${method} is not allowed on ${path}; use ${allow.join(' or ')}`,
          {
            allow,
          },
        );
      }
    }
    // A rate limit that knows its window says how long in details.retryAfterSeconds.
    const retryAfterSeconds = body.details?.retryAfterSeconds;
    if (typeof retryAfterSeconds === 'number') response.header?.('Retry-After', String(retryAfterSeconds));
    else if (
      (body.code === 'RATE_LIMITED' || body.statusCode === 503) &&
      !response.getHeader?.('retry-after')
    ) {
      response.header?.('Retry-After', '1');
    }
    if (body.statusCode === 401) response.header?.('WWW-Authenticate', 'Bearer');
    this.adapterHost.httpAdapter.reply(response, body, body.statusCode);
  }
}
