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
