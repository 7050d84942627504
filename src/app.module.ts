import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { AuthModule } from './auth/auth.module.js';
import { AccessTokenModule } from './common/auth/access-token-verifier.js';
import { JwtAuthGuard } from './common/auth/jwt-auth.guard.js';
import { JwtStrategy } from './common/auth/jwt.strategy.js';
import { RolesGuard } from './common/auth/roles.guard.js';
import { HttpErrorFilter } from './common/errors/http-error.filter.js';
import { logDestination } from './common/logging/log-destination.js';
import { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { ConcertsModule } from './concerts/concerts.module.js';
import type { Env } from './config/env.validation.js';
import { ExpiryModule } from './expiry/expiry.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PaymentsModule } from './payments/payments.module.js';
import { PointsModule } from './points/points.module.js';
import { PrismaModule } from './prisma/prisma.module.js';
import { QueueModule } from './queue/queue.module.js';
import { ReservationsModule } from './reservations/reservations.module.js';

@Module({})
export class AppModule {
  /** `env` is already validated, with DATABASE_URL resolved (see database-bootstrap.ts). */
  static forEnv(env: Env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forEnv(env),
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            // No request middleware: the access log is written from Fastify's onResponse hook
            // (common/logging/access-log.ts), at a fraction of pino-http's cost per request.
            forRoutes: [],
            pinoHttp: withDestination(logDestination(config.nodeEnv), {
              level: config.logLevel,
              // No headers at all: tokens and idempotency keys stay out.
              serializers: {
                req: (request: { id?: string; method?: string; url?: string }) => ({
                  id: request.id,
                  method: request.method,
                  url: request.url,
                }),
                res: (response: { statusCode?: number }) => ({ statusCode: response.statusCode }),
              },
            }),
          }),
        }),
        AccessTokenModule,
        PrismaModule,
        MetricsModule.register({
          enabled: env.METRICS_TOKEN !== undefined || env.METRICS_PORT !== undefined,
        }),
        HealthModule,
        AuthModule,
        PointsModule,
        ConcertsModule,
        QueueModule,
        ReservationsModule,
        PaymentsModule,
        ExpiryModule,
      ],
      providers: [
        JwtStrategy,
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        // Also by its class: FastRoutes answers errors with it, as Nest would.
        HttpErrorFilter,
        { provide: APP_FILTER, useExisting: HttpErrorFilter },
      ],
    };
  }
}

/** nestjs-pino takes the options alone, or with a destination stream as a pair. */
function withDestination(
  destination: DestinationStream | undefined,
  options: PinoHttpOptions,
): PinoHttpOptions | [PinoHttpOptions, DestinationStream] {
  return destination ? [options, destination] : options;
}
