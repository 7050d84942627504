import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DocumentBuilder,
  getSchemaPath,
  SwaggerModule,
  type HeaderObject,
  type OpenAPIObject,
  type ResponseObject,
} from '@nestjs/swagger';
import type { ErrorCode } from '../errors/error-codes.js';
import { ErrorResponse, exampleErrorBody } from '../errors/error-response.js';
import { operationIdFor } from './operation-ids.js';

/** Swagger UI at /docs, the document at /docs-json and /docs-yaml. All public: plain Fastify routes, outside Nest's guards. */
export const DOCS_PATH = 'docs';
export const DOCS_JSON_PATH = 'docs-json';
export const DOCS_YAML_PATH = 'docs-yaml';
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
    // Relative: requests go to the server that served the document, whatever its host and port.
    .addServer('/', 'The server that serves this document')
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationIdFor });
  documentPlatformResponses(document);
  return document;
}

const RETRY_AFTER: HeaderObject = {
  description: 'Seconds to wait before retrying',
  schema: { type: 'integer', example: 1 },
};

/**
 * What routes answer whatever their controllers say: 503 when the database is busy or the
 * server is shutting down, 415 for a body that is not JSON. Every 429 and 503 carries Retry-After.
 */
function documentPlatformResponses(document: OpenAPIObject): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = pathItem[method];
      if (!operation) continue;
      operation.responses['503'] ??= errorResponse('SERVICE_UNAVAILABLE');
      if (operation.requestBody) operation.responses['415'] ??= errorResponse('UNSUPPORTED_MEDIA_TYPE');
      for (const status of ['429', '503']) {
        const response = operation.responses[status] as ResponseObject | undefined;
        if (response) response.headers = { ...response.headers, 'Retry-After': RETRY_AFTER };
      }
    }
  }
}

/** The response ApiErrors() would document for this one code. */
function errorResponse(code: ErrorCode): ResponseObject {
  return {
    description: code,
    content: {
      'application/json': {
        schema: { $ref: getSchemaPath(ErrorResponse) },
        examples: { [code]: { summary: code, value: exampleErrorBody(code) } },
      },
    },
  };
}

export function setupOpenApi(app: NestFastifyApplication): void {
  // Built on the first request rather than at boot: most processes never serve it.
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    yamlDocumentUrl: DOCS_YAML_PATH,
    raw: ['json', 'yaml'],
    customSiteTitle: 'Sail API',
    swaggerOptions: { persistAuthorization: true },
  });
}
