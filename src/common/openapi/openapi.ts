import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { operationIdFor } from './operation-ids.js';

/** Swagger UI at /docs, the document at /docs-json. Both are public: they are plain Fastify routes, outside Nest's guards. */
export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';
/** Security scheme of POST /auth/refresh, which takes the refresh token instead of the access token. */
export const REFRESH_TOKEN_SCHEME = 'refresh-token';

const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Sail')
    .setDescription(
      "Concert ticketing with a fair waiting queue per concert. Enter a concert's queue, poll until your " +
        'window is ACTIVE, then list seats, hold a few (4 by default) and pay with points before the hold expires. ' +
        'Every error has the body `ErrorResponse`; switch on its `code`.',
    )
    .setVersion(version)
    .addTag('auth', 'Accounts and tokens')
    .addTag('concerts', 'The catalog, with your place in each queue')
    .addTag('queue', 'Wait for your turn: seats can be listed and held only with an ACTIVE window')
    .addTag('points', 'Your wallet: charge, balance, history')
    .addTag('reservations', 'Seat maps and seat holds')
    .addTag('payments', 'Pay held seats with points')
    .addTag('admin', 'Concert management, ADMIN role only')
    .addTag('health', 'Liveness and readiness probes')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The accessToken from register, login or refresh',
    })
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'The refreshToken from register, login or refresh',
      },
      REFRESH_TOKEN_SCHEME,
    )
    .build();
  return SwaggerModule.createDocument(app, config, { operationIdFactory: operationIdFor });
}

export function setupOpenApi(app: NestFastifyApplication): void {
  // Built on the first request rather than at boot: most processes never serve it.
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    raw: ['json'],
    customSiteTitle: 'Sail API',
    swaggerOptions: { persistAuthorization: true },
  });
}
