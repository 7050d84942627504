import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import helmet from '@fastify/helmet';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { answerClientError, replyToFrameworkError } from './common/errors/framework-errors.js';
import { findUnsafeInput } from './common/http/unsafe-input.js';
import { setupOpenApi } from './common/openapi/openapi.js';
import { trustProxySetting, type Env } from './config/env.validation.js';
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
    const bodyLimit = (route.config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
    if (typeof bodyLimit === 'number') route.bodyLimit = bodyLimit;
  });
  adapter.getInstance().addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Some input breaks the validation libraries themselves (a stack overflow, a throwing validator): refuse it first.
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
  await app.register(helmet, { contentSecurityPolicy: false });
  await registerWebPages(app);
  const origins = env.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length)
    app.enableCors({
      origin: origins.includes('*') ? true : origins,
      exposedHeaders: ['Retry-After', 'x-request-id'],
    });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  if (env.DOCS_ENABLED) setupOpenApi(app);
  return app;
}
