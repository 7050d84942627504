import { randomUUID } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { STATUS_BY_CODE } from '../../src/common/errors/error-codes.js';
import { AppConfig } from '../../src/config/app-config.js';
import { createConcert, type ConcertFixture } from '../factories/concert.factory.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';
import { waitFor } from '../helpers/wait.js';

/** Runs per property: with ~20 routes this keeps the file near 2,000 requests. */
const PROPERTY_RUNS = 30;

const FRAGMENTS = [
  "' OR '1'='1",
  '1; DROP TABLE users; --',
  '"; DELETE FROM point_wallets; --',
  "') UNION SELECT password_hash FROM users --",
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '../../../etc/passwd',
  '\u0000',
  '\ud800',
  '__proto__',
];
/**
 * Never a valid integer amount or capacity (JSON cannot carry NaN or Infinity; see MALFORMED_JSON).
 * No null: an optional field that is null counts as absent.
 */
const BAD_NUMBERS: unknown[] = [
  -1,
  0,
  1.5,
  -0.5,
  2 ** 31,
  2 ** 53 + 2,
  1e21,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  '100',
  '1e3',
  'NaN',
  'Infinity',
  [100],
  { $gt: 0 },
  true,
];
const NOT_STRINGS: unknown[] = [null, true, 0, -1, 1.5, [], {}, [null], { $ne: null }];
const BAD_UUIDS = [
  'not-a-uuid',
  '1',
  '-1',
  '00000000-0000-0000-0000-00000000000g',
  '00000000000000000000000000000000',
  '{00000000-0000-0000-0000-000000000000}',
  '00000000-0000-0000-0000-000000000000 ',
  ...FRAGMENTS.filter((fragment) => fragment.trim()),
];
const BAD_UUID_ARRAYS: unknown[] = [
  [],
  'a-single-string',
  [...BAD_UUIDS.slice(0, 3)],
  [randomUUID(), 'not-a-uuid'],
  Array.from({ length: 51 }, () => randomUUID()),
  [1, 2],
  [[randomUUID()]],
  [{ id: randomUUID() }],
  ...NOT_STRINGS.filter((value) => !Array.isArray(value)),
];
const MALFORMED_JSON = [
  '{',
  '{"a":',
  "{'amount': 1}",
  '{amount: 1}',
  '[1,',
  '{"amount": NaN}',
  '{"amount": Infinity}',
  '{"amount": 1}trailing',
  '{"__proto__": {"isAdmin": true}}',
  '{"constructor": {"prototype": {"isAdmin": true}}}',
  '\u0000',
  '',
];
/** Values beyond what V8 numbers hold: JSON.parse turns them into Infinity or rounds them. */
const OVERFLOWING_JSON_NUMBERS = [
  '1e309',
  '-1e309',
  '99999999999999999999999999',
  '0.0000000000000000000001',
];
/** Path segments sent as they are: bad percent-encoding, overlong and invalid UTF-8, a NUL. */
const RAW_BAD_SEGMENTS = ['%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', '%'];
/** encodeURIComponent, except that a lone surrogate (which it refuses to encode) goes as invalid UTF-8. */
const encodeSegment = (segment: string) =>
  segment
    .split(/([\uD800-\uDFFF])/u)
    .map((part, i) => (i % 2 ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');
/** Far deeper than any DTO: class-transformer would overflow its stack on it. */
const DEEP_JSON = '['.repeat(5_000) + ']'.repeat(5_000);

type Auth = 'user' | 'admin' | 'refresh' | 'none';

interface RouteCase {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** With `:id` where the route takes a path parameter. */
  path: string;
  auth: Auth;
  /** A real id for `:id`, so that a refused token is refused for a request that would otherwise work. */
  realId?: () => string;
  /** A body that would succeed; hostile bodies are derived from it and never sent as is. */
  validBody?: () => Record<string, unknown>;
  /** Per body field, values that are always invalid for it. */
  badFields?: Record<string, unknown[]>;
  /** Whether a generated body happens to be valid (so it is not sent: it might change things). */
  isValidBody?: (body: Record<string, unknown>) => boolean;
  /** Fields the route may go without (so a body without one is valid and not sent). */
  optionalFields?: string[];
  queryFields?: string[];
  idempotent?: boolean;
  bodyLimit?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

describe('Hostile input on every route', () => {
  let t: TestApp;
  let victim: TestUser & { refreshToken: string };
  let attacker: TestUser & { refreshToken: string };
  let admin: TestUser;
  let concert: ConcertFixture;
  let victimHold: { reservationId: string; seatId: string };
  let victimPaymentId: string;
  let sent = 0;
  let jwt: JwtService;
  let config: AppConfig;

  /** Registers through the API, so the account has a real refresh token and password. */
  async function register(): Promise<TestUser & { refreshToken: string }> {
    const email = `hostile-${randomUUID()}@example.com`;
    const res = await t
      .http()
      .post('/auth/register')
      .send({ email, password: 'correct horse battery' })
      .expect(201);
    return {
      id: res.body.userId,
      email,
      role: 'USER',
      accessToken: res.body.accessToken,
      refreshToken: res.body.refreshToken,
      headers: { Authorization: `Bearer ${res.body.accessToken}` },
    };
  }

  /** Everything a request could change, in one comparable value. */
  async function snapshot(): Promise<unknown> {
    const { rows } = await t.db.query<{ state: unknown }>(`
      SELECT json_build_object(
        'users', (SELECT json_agg(json_build_array(id, email, role, password_hash) ORDER BY id) FROM users),
        'refreshTokens', (SELECT json_agg(json_build_array(id, rotated_at, revoked_at) ORDER BY id) FROM refresh_tokens),
        'wallets', (SELECT json_agg(json_build_array(user_id, balance) ORDER BY user_id) FROM point_wallets),
        'ledger', (SELECT count(*) FROM point_ledger),
        'payments', (SELECT count(*) FROM payments),
        'reservations', (SELECT json_agg(json_build_array(id, status, payment_id) ORDER BY id) FROM reservations),
        'seats', (SELECT json_agg(json_build_array(id, status, held_until) ORDER BY id) FROM seats),
        'queueEntries', (SELECT json_agg(json_build_array(id, status, expires_at) ORDER BY id) FROM queue_entries),
        'queues', (SELECT json_agg(q ORDER BY q.concert_id) FROM (
          SELECT concert_id, last_ticket, activated_count, active_count FROM queues) q),
        'concerts', (SELECT json_agg(c ORDER BY c.id) FROM (
          SELECT id, name, venue, sales_state, queue_capacity, queue_window_seconds, updated_at FROM concerts) c),
        'idempotencyKeys', (SELECT count(*) FROM idempotency_keys)
      ) AS state`);
    return rows[0]!.state;
  }

  /** The contract for hostile input: a 4xx, our JSON error body, consistent, and no internals. */
  function expectRefused(res: Response, label: string): void {
    sent++;
    const context = `${label} → ${res.status} ${JSON.stringify(res.body)}`;
    expect({ context, status: res.status >= 400 && res.status < 500 }).toEqual({ context, status: true });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.body as Record<string, unknown>;
    expect({ context, shape: body }).toEqual({
      context,
      shape: expect.objectContaining({
        statusCode: res.status,
        error: expect.any(String),
        code: expect.any(String),
        message: expect.any(String),
      }),
    });
    const code = body.code as keyof typeof STATUS_BY_CODE;
    expect({ context, status: STATUS_BY_CODE[code] }).toEqual({ context, status: res.status });
    // No stack frames, file paths or database internals.
    expect(JSON.stringify(body)).not.toMatch(
      /\bat \S+ \(|\.(ts|js):\d+:\d+|node_modules|\/src\/|prisma\.\$|Raw query failed/,
    );
  }

  function send(
    route: RouteCase,
    options: { id?: string; auth?: Record<string, string>; query?: string } = {},
  ) {
    const path =
      route.path.replace(':id', encodeSegment(options.id ?? route.realId?.() ?? randomUUID())) +
      (options.query ? `?${options.query}` : '');
    const request = t.http()[route.method](path);
    const auth = options.auth ?? authHeaders(route.auth);
    return request.set(auth);
  }

  function authHeaders(auth: Auth): Record<string, string> {
    if (auth === 'none') return {};
    if (auth === 'refresh') return { Authorization: `Bearer ${attacker.refreshToken}` };
    return auth === 'admin' ? admin.headers : attacker.headers;
  }

  /** Tokens an attacker can make or find. Each must be refused with 401 (431 for the huge one). */
  async function hostileTokens(auth: Auth): Promise<[string, Record<string, string>][]> {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: attacker.id,
      role: 'ADMIN',
      typ: auth === 'refresh' ? 'refresh' : 'access',
      jti: randomUUID(),
    };
    const privateKey = auth === 'refresh' ? config.jwt.refreshKey : config.jwt.accessKey;
    const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const real = auth === 'refresh' ? attacker.refreshToken : attacker.accessToken;
    const [header, , signature] = real.split('.');
    const tokens: [string, string | undefined][] = [
      ['no Authorization header', undefined],
      ['an empty Bearer', 'Bearer '],
      ['Basic credentials', `Basic ${Buffer.from('admin:admin').toString('base64')}`],
      ['garbage', 'Bearer abc.def.ghi'],
      ['SQL in the token', `Bearer ${FRAGMENTS[0]}`],
      [
        'an expired token',
        `Bearer ${await jwt.signAsync({ ...claims, role: 'USER', iat: now - 7200, exp: now - 3600 }, { privateKey })}`,
      ],
      [
        'a token signed with another secret',
        `Bearer ${await jwt.signAsync(claims, { secret: 'x'.repeat(48) })}`,
      ],
      ['alg: none', `Bearer ${base64({ alg: 'none', typ: 'JWT' })}.${base64(claims)}.`],
      ['a payload swapped under a real signature', `Bearer ${header}.${base64(claims)}.${signature}`],
      [
        auth === 'refresh' ? 'an access token' : 'a refresh token',
        `Bearer ${auth === 'refresh' ? attacker.accessToken : attacker.refreshToken}`,
      ],
      ['a 20 kB token', `Bearer ${'a'.repeat(20_000)}`],
    ];
    return tokens.map(([label, value]): [string, Record<string, string>] => [
      label,
      value === undefined ? {} : { Authorization: value },
    ]);
  }

  beforeAll(async () => {
    t = await createTestApp();
    jwt = t.app.get(JwtService);
    config = t.app.get(AppConfig);
    concert = await createConcert(t, { capacity: 10, seats: 20, price: 1_000 });
    victim = await register();
    attacker = await register();
    admin = await createUser(t, { role: 'ADMIN' });
    for (const user of [victim, attacker]) {
      await t.http().patch('/points/charge').set(user.headers).send({ amount: 50_000 }).expect(200);
      await t.http().post(`/concerts/${concert.id}/queue-entry`).set(user.headers).expect(201);
      // Shown up (the poll claims the place): later requests never move the window.
      await t.http().get(`/concerts/${concert.id}/queue`).set(user.headers).expect(200);
    }
    const [heldSeat, paidSeat] = concert.seatIds;
    const held = await t
      .http()
      .post('/reservation/seat')
      .set(victim.headers)
      .send({ concertId: concert.id, seatIds: [heldSeat, paidSeat] })
      .expect(201);
    const [hold, toPay] = held.body.reservations as { id: string; seatId: string }[];
    victimHold = { reservationId: hold!.id, seatId: hold!.seatId };
    const paid = await t
      .http()
      .post('/payment')
      .set(victim.headers)
      .send({ reservationIds: [toPay!.id] })
      .expect(200);
    victimPaymentId = paid.body.paymentId;
    // The payment ended the victim's window; the admit that records it follows the commit in the
    // background. Every route's snapshot must start after it, or it shows up as a change.
    await waitFor(async () => {
      const { rows } = await t.db.query(
        `SELECT 1 FROM queue_entries WHERE concert_id = $1 AND user_id = $2 AND status = 'COMPLETED'`,
        [concert.id, victim.id],
      );
      return rows.length === 1;
    });
  });
  afterAll(async () => {
    console.info(`hostile requests sent and refused: ${sent}`);
    await t?.close();
  });

  const idempotencyHeader = (route: RouteCase): Record<string, string> =>
    route.idempotent ? { 'Idempotency-Key': randomUUID() } : {};
  const future = () => new Date(Date.now() + 30 * 86_400_000).toISOString();
  /** Malformed, without an offset, in the past, or after any startsAt used here (null means absent). */
  const BAD_SALES_CLOSE_AT = [
    ...NOT_STRINGS.filter((value) => value !== null),
    ...FRAGMENTS,
    '2030-07-15',
    '2030-07-15T12:00:00',
    '2020-07-15T12:00:00Z',
    '2999-07-15T12:00:00Z',
  ];
  const ROUTES: RouteCase[] = [
    {
      method: 'post',
      path: '/auth/register',
      auth: 'none',
      validBody: () => ({ email: `new-${randomUUID()}@example.com`, password: 'correct horse battery' }),
      badFields: {
        email: [...NOT_STRINGS, ...FRAGMENTS, '', 'a@b', 'no-at-sign', `${'x'.repeat(250)}@example.com`],
        password: [...NOT_STRINGS, '', 'short', 'x'.repeat(129)],
      },
      isValidBody: (body) =>
        typeof body.email === 'string' &&
        /^[^@\s]+@[^@\s]+\.[a-z]{2,}$/i.test(body.email.trim()) &&
        typeof body.password === 'string' &&
        body.password.length >= 8 &&
        body.password.length <= 128,
    },
    {
      method: 'post',
      path: '/auth/login',
      auth: 'none',
      validBody: () => ({ email: attacker.email, password: 'correct horse battery' }),
      badFields: {
        email: [...NOT_STRINGS, ...FRAGMENTS, '', 'a@b'],
        password: [...NOT_STRINGS, '', 'short', 'x'.repeat(129)],
      },
      isValidBody: (body) => typeof body.email === 'string' && typeof body.password === 'string',
    },
    { method: 'post', path: '/auth/refresh', auth: 'refresh' },
    {
      method: 'post',
      path: '/auth/logout',
      auth: 'user',
      validBody: () => ({ refreshToken: attacker.refreshToken }),
      badFields: { refreshToken: [...NOT_STRINGS, ...FRAGMENTS, '', 'a.b', 'x'.repeat(5_000)] },
      // Without it, logout ends the access token's own session.
      optionalFields: ['refreshToken'],
      isValidBody: (body) =>
        body.refreshToken === undefined ||
        (typeof body.refreshToken === 'string' && body.refreshToken.split('.').length === 3),
    },
    { method: 'get', path: '/auth/me', auth: 'user' },
    { method: 'get', path: '/concerts', auth: 'user' },
    { method: 'get', path: '/concerts/:id/queue-entry', auth: 'user', realId: () => concert.id },
    { method: 'post', path: '/concerts/:id/queue-entry', auth: 'user', realId: () => concert.id },
    { method: 'get', path: '/concerts/:id/queue', auth: 'user', realId: () => concert.id },
    { method: 'delete', path: '/concerts/:id/queue-entry', auth: 'user', realId: () => concert.id },
    { method: 'get', path: '/points', auth: 'user' },
    {
      method: 'patch',
      path: '/points/charge',
      auth: 'user',
      idempotent: true,
      validBody: () => ({ amount: 1_000 }),
      badFields: { amount: [...BAD_NUMBERS, ...FRAGMENTS, null, 1_000_001] },
      isValidBody: (body) =>
        Number.isInteger(body.amount) && (body.amount as number) >= 1 && (body.amount as number) <= 1_000_000,
    },
    { method: 'get', path: '/points/history', auth: 'user', queryFields: ['page', 'limit'] },
    { method: 'get', path: '/reservation/available-dates', auth: 'user' },
    {
      method: 'get',
      path: '/reservation/:id/seats',
      auth: 'user',
      realId: () => concert.id,
      queryFields: ['page', 'limit'],
    },
    {
      method: 'post',
      path: '/reservation/seat',
      auth: 'user',
      validBody: () => ({ concertId: concert.id, seatIds: [concert.seatIds[5]] }),
      badFields: { concertId: [...BAD_UUIDS, ...NOT_STRINGS], seatIds: BAD_UUID_ARRAYS },
      // Random but well-formed ids name nothing (404), so only the real concert and seats are valid.
      isValidBody: (body) => body.concertId === concert.id,
    },
    { method: 'get', path: '/reservation', auth: 'user', queryFields: ['page', 'limit', 'status'] },
    { method: 'delete', path: '/reservation/:id', auth: 'user', realId: () => victimHold.reservationId },
    {
      method: 'post',
      path: '/payment',
      auth: 'user',
      idempotent: true,
      validBody: () => ({ reservationIds: [victimHold.reservationId] }),
      badFields: { reservationIds: BAD_UUID_ARRAYS },
      isValidBody: () => false,
    },
    { method: 'get', path: '/payment/:id', auth: 'user', realId: () => victimPaymentId },
    {
      method: 'post',
      path: '/admin/concerts',
      auth: 'admin',
      bodyLimit: 8 * 1024 * 1024,
      validBody: () => ({
        name: 'Hostile Hall Night',
        venue: 'Hall',
        startsAt: future(),
        layout: { rows: [{ label: 'A', seats: 2, price: 1_000 }] },
      }),
      badFields: {
        salesCloseAt: BAD_SALES_CLOSE_AT,
        name: [...NOT_STRINGS, '', '   ', 'x'.repeat(201)],
        venue: [...NOT_STRINGS, '', 'x'.repeat(201)],
        startsAt: [
          ...NOT_STRINGS,
          ...FRAGMENTS,
          '2030-07-15',
          '2030-07-15T19:00:00',
          'tomorrow',
          '2030-02-30T19:00:00Z',
        ],
        queueCapacity: [...BAD_NUMBERS, 100_001],
        queueWindowSeconds: [...BAD_NUMBERS, 86_401],
        queueClaimSeconds: [...BAD_NUMBERS, 3_601],
        layout: [
          ...NOT_STRINGS.filter((value) => !isRecord(value)),
          { rows: [] },
          { rows: 'A' },
          { rows: [{ label: 'A', seats: 0, price: 1 }] },
          { rows: [{ label: 'A', seats: 1.5, price: 1 }] },
          { rows: [{ label: 'A', seats: 1, price: -1 }] },
          { rows: [{ label: '', seats: 1, price: 1 }] },
          { rows: [{ label: 'A', seats: 50_001, price: 1 }] },
          { rows: [{ label: 'A', seats: 1, price: 1, isFree: true }] },
        ],
      },
      isValidBody: () => false,
    },
    { method: 'get', path: '/admin/concerts/:id', auth: 'admin', realId: () => concert.id },
    {
      method: 'patch',
      path: '/admin/concerts/:id',
      auth: 'admin',
      realId: () => concert.id,
      validBody: () => ({ salesState: 'PAUSED' }),
      badFields: {
        salesState: [...NOT_STRINGS, ...FRAGMENTS, 'OPEN', 'on_sale', ''],
        salesCloseAt: BAD_SALES_CLOSE_AT,
        queueCapacity: [...BAD_NUMBERS, 100_001],
        queueWindowSeconds: [...BAD_NUMBERS, 86_401],
        queueClaimSeconds: [...BAD_NUMBERS, 3_601],
      },
      isValidBody: (body) =>
        Object.entries(body).every(([field, value]) =>
          field === 'salesState'
            ? ['ON_SALE', 'PAUSED', 'CLOSED'].includes(value as string)
            : field === 'queueCapacity' || field === 'queueWindowSeconds' || field === 'queueClaimSeconds'
              ? Number.isInteger(value) && (value as number) >= 1
              : false,
        ),
    },
  ];

  for (const route of ROUTES) {
    const name = `${route.method.toUpperCase()} ${route.path.replace(':id', '{id}')}`;
    it(`${name}: every hostile request gets a 4xx JSON error and changes nothing`, async () => {
      const before = await snapshot();

      // Tokens: refused even when everything else would succeed.
      if (route.auth !== 'none') {
        for (const [label, auth] of await hostileTokens(route.auth)) {
          const res = await send(route, { auth }).send(route.validBody?.());
          expectRefused(res, `${name} with ${label}`);
          expect(res.status).toBe(label === 'a 20 kB token' ? 431 : 401);
        }
      }
      if (route.auth === 'admin') {
        expectRefused(
          await send(route, { auth: attacker.headers }).send(route.validBody?.()),
          `${name} as a USER`,
        );
      }

      if (route.path.includes(':id')) {
        for (const id of [...BAD_UUIDS, 'x'.repeat(150)]) {
          expectRefused(await send(route, { id }), `${name} with id ${id}`);
        }
        for (const segment of RAW_BAD_SEGMENTS) {
          const path = route.path.replace(':id', segment);
          expectRefused(
            await t.http()[route.method](path).set(authHeaders(route.auth)),
            `${name} with id ${segment}`,
          );
        }
        await fc.assert(
          fc.asyncProperty(fc.oneof(fc.string({ minLength: 1 }), fc.uuid()), async (id) => {
            expectRefused(await send(route, { id }).send(route.validBody?.()), `${name} with id ${id}`);
          }),
          { numRuns: PROPERTY_RUNS },
        );
      }

      if (route.queryFields) {
        const badValues = [
          '-1',
          '0',
          '1.5',
          'NaN',
          'Infinity',
          '1e309',
          '99999999999999999999',
          'abc',
          '',
          FRAGMENTS[0]!,
        ];
        for (const field of route.queryFields) {
          for (const value of field === 'status' ? ['HACKED', 'pending', FRAGMENTS[0]!, ''] : badValues) {
            const query = new URLSearchParams({ [field]: value }).toString();
            expectRefused(await send(route, { query }), `${name}?${query}`);
          }
          expectRefused(await send(route, { query: `${field}=1&${field}=2` }), `${name} with ${field} twice`);
          expectRefused(await send(route, { query: `${field}[a]=1` }), `${name} with ${field} as an object`);
        }
        expectRefused(await send(route, { query: 'isAdmin=true' }), `${name} with an unknown parameter`);
      }

      if (route.validBody && route.badFields) {
        const valid = route.validBody();
        const json = (raw: string) =>
          send(route).set('Content-Type', 'application/json').set(idempotencyHeader(route)).send(raw);
        for (const raw of [...MALFORMED_JSON, DEEP_JSON])
          expectRefused(await json(raw), `${name} with body ${raw.slice(0, 40)}`);
        for (const raw of ['null', '[]', '42', '"text"', 'true'])
          expectRefused(await json(raw), `${name} with body ${raw}`);
        for (const field of Object.keys(route.badFields)) {
          for (const number of OVERFLOWING_JSON_NUMBERS) {
            const raw = JSON.stringify({ ...valid, [field]: '§' }).replace('"§"', number);
            expectRefused(await json(raw), `${name} with ${field}: ${number}`);
          }
        }
        expectRefused(await send(route).type('form').send('amount=1'), `${name} as a form`);
        expectRefused(
          await send(route).set('Content-Type', 'text/plain').send(JSON.stringify(valid)),
          `${name} as text/plain`,
        );
        expectRefused(await send(route).send({ ...valid, isAdmin: true }), `${name} with an unknown field`);
        expectRefused(
          await send(route).send({ ...valid, role: 'ADMIN', userId: victim.id }),
          `${name} naming a user`,
        );
        for (const [field, values] of Object.entries(route.badFields)) {
          const { [field]: _dropped, ...without } = valid;
          if (field in valid && !route.optionalFields?.includes(field))
            expectRefused(await send(route).send(without), `${name} without ${field}`);
          for (const value of values) {
            const body = { ...valid, [field]: value };
            expectRefused(
              await send(route).set(idempotencyHeader(route)).send(body),
              `${name} with ${field}: ${JSON.stringify(value)?.slice(0, 60)}`,
            );
          }
        }
        // Within the body limit but far beyond any field's length, then beyond the limit.
        const limit = route.bodyLimit ?? t.env.BODY_LIMIT_BYTES;
        const firstField = Object.keys(route.badFields)[0]!;
        expectRefused(
          await send(route).send({ ...valid, [firstField]: 'x'.repeat(90_000) }),
          `${name} with a 90 kB field`,
        );
        const tooLarge = await send(route).send({ ...valid, [firstField]: 'x'.repeat(limit + 1) });
        expectRefused(tooLarge, `${name} with a body over the limit`);
        expect(tooLarge.status).toBe(413);

        const fieldArbitraries = Object.fromEntries(
          Object.entries(route.badFields).map(([field, values]) => [
            field,
            fc.oneof(fc.constantFrom(...values), fc.jsonValue(), fc.string(), fc.uuid()),
          ]),
        );
        await fc.assert(
          fc.asyncProperty(
            fc.record(fieldArbitraries, { requiredKeys: [] }),
            fc.option(
              fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue(), { maxKeys: 3 }),
            ),
            async (fields, extra) => {
              const body = { ...fields, ...extra };
              const unknownField = Object.keys(extra ?? {}).some((key) => !(key in route.badFields!));
              fc.pre(unknownField || !route.isValidBody!(body));
              // A random id where the route takes one: even a body that slipped through could change nothing.
              const res = await send(route, { id: randomUUID() }).set(idempotencyHeader(route)).send(body);
              expectRefused(res, `${name} with ${JSON.stringify(body).slice(0, 200)}`);
            },
          ),
          { numRuns: PROPERTY_RUNS },
        );
      }

      if (route.idempotent) {
        for (const key of ['é', 'k'.repeat(256), '']) {
          const res = await send(route).set('Idempotency-Key', key).send(route.validBody!());
          expectRefused(res, `${name} with Idempotency-Key ${key.slice(0, 20)}`);
        }
      }

      expect(await snapshot()).toEqual(before);
    }, 60_000);
  }

  it("refuses to act on another user's reservation, payment or session, and changes nothing", async () => {
    const before = await snapshot();
    const cases: [string, () => Promise<Response>, number][] = [
      [
        'cancel their hold',
        () => t.http().delete(`/reservation/${victimHold.reservationId}`).set(attacker.headers),
        403,
      ],
      [
        'pay their hold',
        () =>
          t
            .http()
            .post('/payment')
            .set(attacker.headers)
            .send({ reservationIds: [victimHold.reservationId] }),
        403,
      ],
      [
        'pay their hold under an idempotency key',
        () =>
          t
            .http()
            .post('/payment')
            .set(attacker.headers)
            .set('Idempotency-Key', randomUUID())
            .send({ reservationIds: [victimHold.reservationId] }),
        403,
      ],
      ['read their payment', () => t.http().get(`/payment/${victimPaymentId}`).set(attacker.headers), 404],
      [
        'end their session',
        () => t.http().post('/auth/logout').set(attacker.headers).send({ refreshToken: victim.refreshToken }),
        403,
      ],
      [
        'hold their seat',
        () =>
          t
            .http()
            .post('/reservation/seat')
            .set(attacker.headers)
            .send({ concertId: concert.id, seatIds: [victimHold.seatId] }),
        409,
      ],
      [
        'pause the concert',
        () =>
          t
            .http()
            .patch(`/admin/concerts/${concert.id}`)
            .set(attacker.headers)
            .send({ salesState: 'PAUSED' }),
        403,
      ],
      [
        'create a concert',
        () =>
          t
            .http()
            .post('/admin/concerts')
            .set(attacker.headers)
            .send({
              name: 'Mine',
              venue: 'Hall',
              startsAt: future(),
              layout: { rows: [{ label: 'A', seats: 1, price: 0 }] },
            }),
        403,
      ],
    ];
    for (const [label, request, status] of cases) {
      const res = await request();
      expectRefused(res, label);
      expect({ label, status: res.status }).toEqual({ label, status });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('keeps SQL and script fragments in free text as plain data', async () => {
    const name = `'); DROP TABLE seats; -- <script>alert(1)</script> \${7*7}`;
    const created = await t
      .http()
      .post('/admin/concerts')
      .set(admin.headers)
      .send({
        name,
        venue: '" OR 1=1 --',
        startsAt: future(),
        layout: { rows: [{ label: 'Z', seats: 1, price: 0 }] },
      })
      .expect(201);
    const read = await t.http().get(`/admin/concerts/${created.body.id}`).set(admin.headers).expect(200);
    expect(read.body).toMatchObject({ name, venue: '" OR 1=1 --' });
    const { rows } = await t.db.query<{ seats: number }>('SELECT count(*)::int AS seats FROM seats');
    expect(rows[0]!.seats).toBe(21);
  });
});
