import { randomBytes } from 'node:crypto';
import { createTestApp, createUser, type TestApp } from '../helpers/test-app.js';

describe('Platform (HTTP conventions)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ BODY_LIMIT_BYTES: 2048 });
  });
  afterAll(() => t.close());

  it('GET /health answers without a token', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health/ready checks the database', async () => {
    const res = await t.http().get('/health/ready').expect(200);
    expect(res.body.info.database.status).toBe('up');
  });

  it('answers an unknown route with a JSON 404', async () => {
    const user = await createUser(t);
    const res = await t.http().get('/no-such-route').set(user.headers).expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'ROUTE_NOT_FOUND' });
  });

  it('answers malformed JSON with 400 INVALID_JSON', async () => {
    const user = await createUser(t);
    const res = await t
      .http()
      .post('/health')
      .set(user.headers)
      .set('Content-Type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'INVALID_JSON' });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it('answers an oversized body with 413', async () => {
    const user = await createUser(t);
    const res = await t
      .http()
      .post('/health')
      .set(user.headers)
      .send({ blob: 'x'.repeat(4096) })
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('sends security headers and a request id', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBeTruthy();
  });
});

type Document = { paths: Record<string, Record<string, { requestBody?: unknown }>> };
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const SAMPLE_ID = '00000000-0000-4000-8000-000000000000';
/** "/reservation/{id}" → a URL to call, and a pattern that any URL of the route matches. */
const concrete = (path: string) => path.replace(/\{\w+\}/g, SAMPLE_ID);
const pattern = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`);

describe('Errors a client can act on', () => {
  let t: TestApp;
  let document: Document;

  beforeAll(async () => {
    t = await createTestApp();
    document = (await t.http().get('/docs-json').expect(200)).body as Document;
  });
  afterAll(() => t.close());

  const operations = () =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, operation]) => ({ path, method, operation })),
    );

  describe('415 UNSUPPORTED_MEDIA_TYPE', () => {
    it('answers every route that takes a JSON body, for text and for form-encoded bodies', async () => {
      const user = await createUser(t);
      const bodyRoutes = operations().filter(({ operation }) => operation.requestBody);
      expect(bodyRoutes.length).toBeGreaterThanOrEqual(8);
      for (const { path, method } of bodyRoutes) {
        for (const [contentType, body] of [
          ['text/plain', '{"amount":5000}'],
          ['application/x-www-form-urlencoded', 'amount=5000'],
        ]) {
          const res = await t
            .http()
            [method as 'post'](concrete(path))
            .set(user.headers)
            .set('Content-Type', contentType!)
            .send(body);
          expect({
            route: `${method} ${path}`,
            contentType,
            status: res.status,
            code: res.body.code,
          }).toEqual({
            route: `${method} ${path}`,
            contentType,
            status: 415,
            code: 'UNSUPPORTED_MEDIA_TYPE',
          });
        }
      }
    });

    it('changes nothing: curl -d amount=… charges no points', async () => {
      const user = await createUser(t);
      const res = await t
        .http()
        .patch('/points/charge')
        .set(user.headers)
        .type('form')
        .send({ amount: '5000000' })
        .expect(415);
      expect(res.body).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message:
          'The body must be JSON with Content-Type: application/json, not application/x-www-form-urlencoded',
        details: { contentType: 'application/x-www-form-urlencoded' },
      });
      expect((await t.http().get('/points').set(user.headers).expect(200)).body).toEqual({ points: 0 });
    });

    it('still takes JSON with a charset, and requests without a body whatever they declare', async () => {
      const user = await createUser(t);
      await t
        .http()
        .patch('/points/charge')
        .set(user.headers)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send('{"amount":5}')
        .expect(200);
      await t.http().get('/points').set(user.headers).set('Content-Type', 'text/plain').expect(200);
    });
  });

  describe('400 VALIDATION_FAILED', () => {
    it('names each broken rule: a JSON pointer into the body, with the rule', async () => {
      const user = await createUser(t);
      const res = await t
        .http()
        .patch('/points/charge')
        .set(user.headers)
        .send({ amount: 'lots', userId: SAMPLE_ID })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details.errors).toEqual(
        expect.arrayContaining([
          { field: '/amount', message: 'amount must be an integer number', constraint: 'isInt' },
          {
            field: '/userId',
            message: 'property userId should not exist',
            constraint: 'whitelistValidation',
          },
        ]),
      );
      expect(res.body.message).toContain('amount must be an integer number');
    });

    it('points into nested objects and arrays', async () => {
      const admin = await createUser(t, { role: 'ADMIN' });
      const res = await t
        .http()
        .post('/admin/concerts')
        .set(admin.headers)
        .send({
          name: 'Nested',
          venue: 'Hall',
          startsAt: new Date(Date.now() + 86_400_000).toISOString(),
          layout: { rows: [{ label: 'A', seats: 2, price: -1 }] },
        })
        .expect(400);
      expect(res.body.details.errors).toContainEqual({
        field: '/layout/rows/0/price',
        message: 'layout.rows.0.price must not be less than 0',
        constraint: 'min',
      });
    });

    it('names a query parameter by its name, and a body that is not an object with the empty pointer', async () => {
      const user = await createUser(t);
      const query = await t.http().get('/points/history?limit=0&page=x').set(user.headers).expect(400);
      expect(query.body.details.errors).toContainEqual({
        field: 'limit',
        message: 'limit must not be less than 1',
        constraint: 'min',
      });
      expect(new Set(query.body.details.errors.map((error: { field: string }) => error.field))).toEqual(
        new Set(['limit', 'page']),
      );
      // A DTO with only optional fields is where a body of the wrong type fails as a whole.
      const admin = await createUser(t, { role: 'ADMIN' });
      const whole = await t
        .http()
        .patch(`/admin/concerts/${SAMPLE_ID}`)
        .set(admin.headers)
        .set('Content-Type', 'application/json')
        .send('"PAUSED"')
        .expect(400);
      expect(whole.body.details.errors).toEqual([
        { field: '', message: 'Validation failed (object is expected)', constraint: 'isObject' },
      ]);
    });

    it('never quotes a bound the API does not apply: the limits named are the configured ones', async () => {
      const user = await createUser(t);
      const huge = await t.http().patch('/points/charge').set(user.headers).send({ amount: 2_000_000_001 });
      expect(huge.status).toBe(400);
      expect(huge.body).toMatchObject({
        code: 'INVALID_AMOUNT',
        details: { maxAmount: t.env.POINTS_MAX_CHARGE },
      });
      expect(huge.body.message).toBe(`Amount must be an integer from 1 to ${t.env.POINTS_MAX_CHARGE}`);

      const seatIds = Array.from(
        { length: 60 },
        (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      );
      const many = await t
        .http()
        .post('/reservation/seat')
        .set(user.headers)
        .send({ concertId: SAMPLE_ID, seatIds })
        .expect(400);
      expect(many.body.message).toContain(`1 to ${t.env.MAX_SEATS_PER_RESERVATION} distinct seat ids`);
      expect(many.body.message).not.toMatch(/\b50\b/);
      expect(many.body.details.errors).toEqual([
        { field: '/seatIds', message: many.body.message, constraint: 'seatSelection' },
      ]);
    });
  });

  describe('405 METHOD_NOT_ALLOWED', () => {
    it('answers a wrong method on every documented path with Allow listing the methods it has', async () => {
      const user = await createUser(t);
      for (const path of Object.keys(document.paths)) {
        const url = concrete(path);
        const routes = Object.entries(document.paths)
          .filter(([other]) => pattern(other).test(url))
          .flatMap(([, item]) => Object.keys(item).filter((method) => HTTP_METHODS.includes(method)));
        const wrong = HTTP_METHODS.find((method) => !routes.includes(method));
        if (!wrong) continue;
        const allow = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter(
          (method) => routes.includes(method.toLowerCase()) || (method === 'HEAD' && routes.includes('get')),
        );
        const res = await t.http()[wrong as 'get'](url).set(user.headers);
        expect({ wrong, url, status: res.status, code: res.body.code, allow: res.headers.allow }).toEqual({
          wrong,
          url,
          status: 405,
          code: 'METHOD_NOT_ALLOWED',
          allow: allow.join(', '),
        });
        expect(res.body.details).toEqual({ allow });
      }
    });

    it('keeps 404 ROUTE_NOT_FOUND for a path that does not exist', async () => {
      const res = await t.http().put('/no-such-route').expect(404);
      expect(res.body.code).toBe('ROUTE_NOT_FOUND');
      expect(res.headers.allow).toBeUndefined();
    });
  });
});

describe('CORS by default', () => {
  const preflight = (t: TestApp, origin: string) =>
    t.http().options('/payment').set('Origin', origin).set('Access-Control-Request-Method', 'POST');

  it('in development, lets pages on localhost call the API, and no one else', async () => {
    const t = await createTestApp({ NODE_ENV: 'development' });
    try {
      for (const origin of [
        'http://localhost:5173',
        'http://127.0.0.1:8080',
        'http://[::1]:3001',
        'http://localhost',
      ]) {
        const res = await preflight(t, origin);
        expect({ origin, allowed: res.headers['access-control-allow-origin'] }).toEqual({
          origin,
          allowed: origin,
        });
      }
      for (const origin of [
        'https://evil.example',
        'http://localhost.evil.example',
        'http://localhost:80.evil.example',
      ]) {
        const res = await preflight(t, origin);
        expect({ origin, allowed: res.headers['access-control-allow-origin'] }).toEqual({
          origin,
          allowed: undefined,
        });
      }
    } finally {
      await t.close();
    }
  });

  it('in development with CORS_ORIGINS set, and in production unless set, allows only the origins named', async () => {
    const named = await createTestApp({ NODE_ENV: 'development', CORS_ORIGINS: 'https://tickets.example' });
    const production = await createTestApp({
      NODE_ENV: 'production',
      JWT_ACCESS_SECRET: randomBytes(32).toString('hex'),
      JWT_REFRESH_SECRET: randomBytes(32).toString('hex'),
    });
    try {
      expect(
        (await preflight(named, 'http://localhost:5173')).headers['access-control-allow-origin'],
      ).toBeUndefined();
      expect((await preflight(named, 'https://tickets.example')).headers['access-control-allow-origin']).toBe(
        'https://tickets.example',
      );
      expect(
        (await preflight(production, 'http://localhost:5173')).headers['access-control-allow-origin'],
      ).toBeUndefined();
    } finally {
      await named.close();
      await production.close();
    }
  });
});
