import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadRequestException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { answerClientError, replyToFrameworkError } from './common/errors/framework-errors.js';
import { AccessTokenVerifier } from './common/auth/access-token-verifier.js';
import { HttpErrorFilter, httpErrorBody } from './common/errors/http-error.filter.js';
import { FastRoutes } from './common/http/fast-routes.js';
import { ApiValidationPipe } from './common/errors/validation-failed.js';
import { findUnsafeInput } from './common/http/unsafe-input.js';
import { logAccess } from './common/logging/access-log.js';
import { setupOpenApi } from './common/openapi/openapi.js';
import { trustProxySetting, type Env } from './config/env.validation.js';
import { PaymentFastRoute } from './payments/payment.fast-route.js';
import { QueuePollFastPath } from './queue/queue-poll-fast-path.js';
import { HoldFastRoute, SeatMapFastRoute } from './reservations/reservations.fast-routes.js';
import { registerWebPages } from './web/web-pages.js';

/**
 * Builds the application exactly as production runs it. main.ts and the e2e tests
 * both call this, so tests exercise the same pipes, filter, limits and headers.
 */
export async function createApp(env: Env): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: env.BODY_LIMIT_BYTES,
    // Behind a load balancer the client's address is in X-Forwarded-For; rate limits key on it.
    trustProxy: trustProxySetting(env.TRUST_PROXY),
    return503OnClosing: true,
    // Requests Fastify or Node refuse before any route runs still get our error body.
    frameworkErrors: replyToFrameworkError,
    clientErrorHandler: answerClientError,
    // A well-formed X-Request-Id from the caller is kept, so a request can be traced across services.
    genReqId: (request: IncomingMessage) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,128}$/.test(given) ? given : randomUUID();
    },
  });
  // Nest passes only a route's `config` to Fastify: @RouteConfig({ bodyLimit }) raises one route's body limit.
  adapter.getInstance().addHook('onRoute', (route) => {
    const config: { bodyLimit?: unknown } | undefined = route.config;
    const bodyLimit = config?.bodyLimit;
    if (typeof bodyLimit === 'number') route.bodyLimit = bodyLimit;
  });
  // Callback style, not async: this runs for every request, and a promise per request is not free.
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    // Every route reads JSON. Another body (Postman's "Text", curl -d's form encoding) would
    // otherwise be parsed as something else and fail validation with a misleading message.
    if (request.routeOptions.url !== undefined && hasNonJsonBody(request.headers)) {
      const contentType = request.headers['content-type'] ?? 'none';
      void reply
        .code(415)
        .send(
          httpErrorBody(
            415,
            'UNSUPPORTED_MEDIA_TYPE',
            `The body must be JSON with Content-Type: application/json, not ${contentType}`,
            { contentType },
          ),
        );
      return;
    }
    done();
  });
  adapter.getInstance().addHook('onResponse', (request, reply, done) => {
    logAccess(request, reply);
    done();
  });
  // The steady queue poll is answered here, before Nest's middleware and pipeline, when it can
  // be (see QueuePollFastPath); bound once Nest has built it, and added now to run before middie.
  const bound: { poll?: QueuePollFastPath; fastRoutes?: FastRoutes } = {};
  adapter.getInstance().addHook('onRequest', (request, reply, done) => {
    if (!bound.poll?.answer(request, reply)) done();
  });
  // The seat rush's seat pages, holds and payments are answered here, after body parsing and
  // the checks above, when their input is plainly valid (see FastRoutes).
  adapter.getInstance().addHook('preHandler', (request, reply, done) => {
    if (!bound.fastRoutes?.answer(request, reply)) done();
  });
  // Some input breaks the validation libraries themselves (a stack overflow, a throwing validator): refuse it first.
  // Async so that Fastify takes the hook as done when it returns (a plain function must call done()).
  // eslint-disable-next-line @typescript-eslint/require-await
  adapter.getInstance().addHook('preValidation', async (request) => {
    // ValidationPipe turns a JSON null into an empty DTO, which a body of optional fields (logout) would accept.
    if (request.body === null) throw new BadRequestException('The body must be a JSON object, or absent');
    const problem = findUnsafeInput(request.body) ?? findUnsafeInput(request.query);
    if (problem) throw new BadRequestException(problem);
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forEnv(env), adapter, {
    // Held until pino is in place, so that even start-up lines are JSON at LOG_LEVEL.
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  bound.poll = app.get(QueuePollFastPath);
  bound.fastRoutes = new FastRoutes(app.get(AccessTokenVerifier), app.get(HttpErrorFilter), [
    app.get(SeatMapFastRoute),
    app.get(HoldFastRoute),
    app.get(PaymentFastRoute),
  ]);
  // Nest's own helmet-equivalent headers, set by a hook that runs before every other one.
  app.useSecurityHeaders({ contentSecurityPolicy: false });
  await registerWebPages(app);
  const origin = corsOrigin(env);
  if (origin) app.enableCors({ origin, exposedHeaders: ['Retry-After', 'x-request-id'] });
  app.useGlobalPipes(new ApiValidationPipe());
  if (env.DOCS_ENABLED) setupOpenApi(app);
  return app;
}

/** A page served from this machine, on any port: a web client in development. */
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

/**
 * Who may call the API from a browser. CORS_ORIGINS when it is set (`*` for anyone); unset,
 * pages on localhost in development, and nobody otherwise: production names its origins.
 */
export function corsOrigin(env: Pick<Env, 'NODE_ENV' | 'CORS_ORIGINS'>): false | true | (string | RegExp)[] {
  const origins = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.includes('*')) return true;
  if (origins.length) return origins;
  return env.NODE_ENV === 'development' && env.CORS_ORIGINS === undefined ? [LOCAL_ORIGIN] : false;
}

/** A body is coming (a length above 0, or chunked) and it is not declared as JSON. */
function hasNonJsonBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  const hasBody = (length !== undefined && length !== '0') || headers['transfer-encoding'] !== undefined;
  return hasBody && !/^application\/json\s*(;|$)/i.test(headers['content-type'] ?? '');
}

/** "Sail API on http://localhost:3000 · docs http://localhost:3000/docs · web page http://localhost:3000/" */
export function startupLine(app: NestFastifyApplication, env: Pick<Env, 'HOST'>): string {
  // Listening on every interface: the address to type into a browser on this machine is localhost.
  const host = ['0.0.0.0', '::'].includes(env.HOST)
    ? 'localhost'
    : env.HOST.includes(':')
      ? `[${env.HOST}]`
      : env.HOST;
  // The port bound, which PORT=0 leaves to the system.
  const { port } = app.getHttpServer().address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  const fastify = app.getHttpAdapter().getInstance();
  const serves = (path: string) => fastify.findRoute({ method: 'GET', url: path }) !== null;
  return [
    `Sail API on ${origin}`,
    ...(serves('/docs') ? [`docs ${origin}/docs`] : []),
    ...(serves('/') ? [`web page ${origin}/`] : []),
  ].join(' · ');
}
