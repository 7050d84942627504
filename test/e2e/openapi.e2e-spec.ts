import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { createApp } from '../../src/app.setup.js';
import { STATUS_BY_CODE } from '../../src/common/errors/error-codes.js';
import { validateEnv } from '../../src/config/env.validation.js';
import { createTestDatabase } from '../helpers/database.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  responses: Record<
    string,
    {
      headers?: Record<string, unknown>;
      content?: Record<
        string,
        {
          schema?: { $ref?: string };
          examples?: Record<string, { value: { statusCode: number; code: string } }>;
        }
      >;
    }
  >;
}
type OpenApiDocument = {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
};

/** The routes whose transactions lock rows another request may hold, so PostgreSQL may call off one of them. */
const CONCURRENT_UPDATE_ROUTES = [
  'GET /concerts/{concertId}/queue-entry',
  'POST /concerts/{concertId}/queue-entry',
  'DELETE /concerts/{concertId}/queue-entry',
  'PATCH /points/charge',
  'POST /reservation/seat',
  'DELETE /reservation/{id}',
  'POST /payment',
  'PATCH /admin/concerts/{id}',
];

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** "/concerts/:concertId/queue" in Fastify's syntax is "/concerts/{concertId}/queue" in OpenAPI's. */
const toOpenApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const isDocsRoute = (url: string) => url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs-');
/** The fan's pages and the operator's console (src/web): HTML and assets, not API operations. */
const isWebPageRoute = (url: string) => url === '/' || url === '/admin' || url.startsWith('/assets/');

describe('GET /docs-json', () => {
  let app: NestFastifyApplication;
  let document: OpenApiDocument;
  /** "GET /points", for every route Fastify registers while the app starts. */
  const registeredRoutes = new Set<string>();
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    // createApp itself rather than createTestApp: the route hook must be in place before app.init() registers the routes.
    const env = validateEnv({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: await createTestDatabase(),
    });
    app = await createApp(env);
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        for (const method of [route.method].flat()) {
          if (
            method === 'HEAD' ||
            method === 'OPTIONS' ||
            isDocsRoute(route.url) ||
            isWebPageRoute(route.url)
          )
            continue;
          registeredRoutes.add(`${method} ${toOpenApiPath(route.url)}`);
        }
      });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    document = (await http().get('/docs-json').expect(200)).body as OpenApiDocument;
  });
  afterAll(() => app.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.has(method))
        .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, path, operation })),
    );

  it('answers without a token with an OpenAPI 3 document', async () => {
    const res = await http().get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.openapi).toMatch(/^3\./);
  });

  it('documents every route the app registers, and no other', () => {
    expect(registeredRoutes.size).toBeGreaterThan(20);
    const documented = new Set(operations().map(({ route }) => route));
    expect([...documented].sort()).toEqual([...registeredRoutes].sort());
  });

  it('names every operation with a unique verb-first operationId, never after its controller', () => {
    const ids = operations().map(({ route, operation }) => ({ route, id: operation.operationId }));
    for (const { route, id } of ids) {
      expect({ route, id }).toEqual({ route, id: expect.stringMatching(/^[a-z][a-zA-Z]+$/) });
      expect(id).not.toMatch(/Controller|_/);
    }
    expect(new Set(ids.map(({ id }) => id)).size).toBe(ids.length);
    const idOf = (route: string) => ids.find((entry) => entry.route === route)?.id;
    expect(idOf('GET /concerts/{concertId}/queue-entry')).toBe('enterQueue');
    expect(idOf('POST /reservation/seat')).toBe('holdSeats');
    expect(idOf('POST /payment')).toBe('pay');
  });

  it('gives every operation a tag, a summary and a success response', () => {
    for (const { route, operation } of operations()) {
      expect({ route, tags: operation.tags?.length, summary: Boolean(operation.summary) }).toEqual({
        route,
        tags: 1,
        summary: true,
      });
      const success = Object.keys(operation.responses).filter((status) => /^2\d\d$/.test(status));
      expect({ route, success: success.length > 0 }).toEqual({ route, success: true });
    }
  });

  it('gives every operation a description beyond its summary', () => {
    for (const { route, operation } of operations()) {
      expect({ route, description: (operation.description ?? '').length > 20 }).toEqual({
        route,
        description: true,
      });
    }
  });

  it('names a server, relative to where the document is served', () => {
    expect(document.servers).toEqual([{ url: '/', description: expect.any(String) }]);
  });

  it('documents Retry-After on every 429 and 503, and a 503 on every operation', () => {
    for (const { route, operation } of operations()) {
      expect({ route, has503: '503' in operation.responses }).toEqual({ route, has503: true });
      for (const status of ['429', '503'].filter((code) => code in operation.responses)) {
        expect({
          route,
          status,
          header: Boolean(operation.responses[status]!.headers?.['Retry-After']),
        }).toEqual({
          route,
          status,
          header: true,
        });
      }
    }
  });

  it('documents 415 on every operation with a body, and CONCURRENT_UPDATE on the routes that take row locks', () => {
    const codesOf = (operation: Operation, status: string) =>
      Object.values(operation.responses[status]?.content?.['application/json']?.examples ?? {}).map(
        (example) => example.value.code,
      );
    for (const { route, operation } of operations()) {
      const hasBody = Boolean((operation as { requestBody?: unknown }).requestBody);
      expect({ route, documents415: codesOf(operation, '415').includes('UNSUPPORTED_MEDIA_TYPE') }).toEqual({
        route,
        documents415: hasBody,
      });
      expect({ route, concurrent: codesOf(operation, '409').includes('CONCURRENT_UPDATE') }).toEqual({
        route,
        concurrent: CONCURRENT_UPDATE_ROUTES.includes(route),
      });
    }
  });

  it('serves the same document as YAML at /docs-yaml', async () => {
    const res = await http().get('/docs-yaml').expect(200);
    expect(res.headers['content-type']).toMatch(/yaml/);
    expect(parseYaml(res.text)).toEqual(document);
  });

  it('documents every error response with the ErrorResponse schema and matching examples', () => {
    let errorResponses = 0;
    for (const { route, operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[45]\d\d$/.test(status) || route.startsWith('GET /health')) continue;
        errorResponses++;
        const json = response.content?.['application/json'];
        expect({ route, status, schema: json?.schema?.$ref }).toEqual({
          route,
          status,
          schema: '#/components/schemas/ErrorResponse',
        });
        const exampleStatuses = Object.values(json?.examples ?? {}).map(
          (example) => example.value.statusCode,
        );
        expect(exampleStatuses.length).toBeGreaterThan(0);
        expect(new Set(exampleStatuses)).toEqual(new Set([Number(status)]));
      }
    }
    expect(errorResponses).toBeGreaterThan(40);
  });

  it('marks exactly the routes that answer 401 without a token as secured', async () => {
    for (const { route, path, operation } of operations()) {
      const [method] = route.split(' ');
      const url = path.replace(/\{\w+\}/g, randomUUID());
      const res = await http()[method!.toLowerCase() as 'get'](url);
      expect({ route, secured: Boolean(operation.security?.length) }).toEqual({
        route,
        secured: res.status === 401,
      });
    }
  });
});

describe('GET /docs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('serves Swagger UI without a token, with its assets', async () => {
    const page = await t.http().get('/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('swagger-ui');
    const bundle = await t.http().get('/docs/swagger-ui-bundle.js').expect(200);
    expect(bundle.headers['content-type']).toMatch(/javascript/);
    const init = await t.http().get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('"/payment"');
  });
});

describe('DOCS_ENABLED=false', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ DOCS_ENABLED: false });
  });
  afterAll(() => t.close());

  it('serves neither Swagger UI nor the document, and the API as usual', async () => {
    for (const path of ['/docs', '/docs-json', '/docs/swagger-ui-init.js'])
      expect((await t.http().get(path)).status).toBe(404);
    await t.http().get('/health').expect(200);
  });
});

describe('README: Errors and what to do', () => {
  it('tells clients what to do for every error code, with its status', () => {
    const rows = [
      ...readFileSync('README.md', 'utf8').matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|.+\|$/gm),
    ];
    const documented = Object.fromEntries(rows.map(([, code, status]) => [code, Number(status)]));
    expect(documented).toEqual(STATUS_BY_CODE);
  });
});
