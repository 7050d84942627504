import { IdempotencyService } from '../../src/common/idempotency/idempotency.service.js';
import { hashRequest } from '../../src/common/idempotency/request-hash.js';
import { CHARGE_SCOPE } from '../../src/points/points.service.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../helpers/test-app.js';

const MAX_CHARGE = 10_000;
const MAX_BALANCE = 50_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface LedgerRow {
  type: string;
  amount: number;
  balanceAfter: number;
  paymentId: string | null;
}

describe('Points', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ POINTS_MAX_CHARGE: MAX_CHARGE, POINTS_MAX_BALANCE: MAX_BALANCE });
  });
  afterAll(() => t.close());
  afterEach(() => expectEveryWalletToEqualItsLedger());

  const charge = (user: TestUser, body: unknown, idempotencyKey?: string) => {
    const req = t.http().patch('/points/charge').set(user.headers);
    if (idempotencyKey !== undefined) void req.set('Idempotency-Key', idempotencyKey);
    return req.send(body as object);
  };

  async function walletOf(user: TestUser): Promise<number | null> {
    const { rows } = await t.db.query<{ balance: number }>(
      'SELECT balance FROM point_wallets WHERE user_id = $1',
      [user.id],
    );
    return rows[0]?.balance ?? null;
  }

  async function ledgerOf(user: TestUser): Promise<LedgerRow[]> {
    const { rows } = await t.db.query<LedgerRow>(
      `SELECT type, amount, balance_after AS "balanceAfter", payment_id AS "paymentId"
       FROM point_ledger WHERE user_id = $1 ORDER BY created_at, balance_after`,
      [user.id],
    );
    return rows;
  }

  /** The invariant: every balance is the sum of its ledger, and no ledger exists without a wallet. */
  async function expectEveryWalletToEqualItsLedger(): Promise<void> {
    const { rows } = await t.db.query(
      `SELECT w.user_id, w.balance, l.total
       FROM point_wallets w
       FULL JOIN (SELECT user_id, SUM(amount)::int AS total FROM point_ledger GROUP BY user_id) l ON l.user_id = w.user_id
       WHERE w.balance IS DISTINCT FROM COALESCE(l.total, 0)`,
    );
    expect(rows).toEqual([]);
  }

  async function chargedUser(balance: number): Promise<TestUser> {
    const user = await createUser(t);
    for (let left = balance; left > 0; left -= MAX_CHARGE) {
      await charge(user, { amount: Math.min(left, MAX_CHARGE) }).expect(200);
    }
    return user;
  }

  describe('GET /points', () => {
    it('answers 0 for a new user without creating a wallet', async () => {
      const user = await createUser(t);
      const res = await t.http().get('/points').set(user.headers).expect(200);
      expect(res.body).toEqual({ points: 0 });
      expect(await walletOf(user)).toBeNull();
    });

    it('requires an access token', async () => {
      await t.http().get('/points').expect(401);
    });
  });

  describe('PATCH /points/charge', () => {
    it('adds the amount, answers {points, chargeAmount} and writes a CHARGE entry', async () => {
      const user = await createUser(t);
      expect((await charge(user, { amount: 10_000 }).expect(200)).body).toEqual({
        points: 10_000,
        chargeAmount: 10_000,
      });
      expect((await charge(user, { amount: 500 }).expect(200)).body).toEqual({
        points: 10_500,
        chargeAmount: 500,
      });

      expect((await t.http().get('/points').set(user.headers).expect(200)).body).toEqual({ points: 10_500 });
      expect(await ledgerOf(user)).toEqual([
        { type: 'CHARGE', amount: 10_000, balanceAfter: 10_000, paymentId: null },
        { type: 'CHARGE', amount: 500, balanceAfter: 10_500, paymentId: null },
      ]);
    });

    it('adds exactly 100 for 100 parallel charges of 1 point, with one ledger row each', async () => {
      const user = await createUser(t);
      const responses = await Promise.all(Array.from({ length: 100 }, () => charge(user, { amount: 1 })));

      expect(responses.map((res) => res.status)).toEqual(Array(100).fill(200));
      expect(await walletOf(user)).toBe(100);
      const ledger = await ledgerOf(user);
      expect(ledger).toHaveLength(100);
      // Each charge saw the one before it: no update was lost or applied twice.
      expect(ledger.map((entry) => entry.balanceAfter).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
      expect(responses.map((res) => (res.body as { points: number }).points).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 100 }, (_, i) => i + 1),
      );
    });

    describe('rejects an invalid amount with 400 and changes nothing', () => {
      let user: TestUser;

      beforeAll(async () => {
        user = await chargedUser(1_000);
      });

      it.each<[string, unknown, string]>([
        ['a missing amount', {}, 'VALIDATION_FAILED'],
        ['zero', { amount: 0 }, 'VALIDATION_FAILED'],
        ['a negative amount', { amount: -1 }, 'VALIDATION_FAILED'],
        ['a fraction', { amount: 1.5 }, 'VALIDATION_FAILED'],
        ['a numeric string', { amount: '100' }, 'VALIDATION_FAILED'],
        ['the string NaN', { amount: 'NaN' }, 'VALIDATION_FAILED'],
        ['the string Infinity', { amount: 'Infinity' }, 'VALIDATION_FAILED'],
        ['null', { amount: null }, 'VALIDATION_FAILED'],
        ['a boolean', { amount: true }, 'VALIDATION_FAILED'],
        ['an array', { amount: [100] }, 'VALIDATION_FAILED'],
        ['an object', { amount: { value: 100 } }, 'VALIDATION_FAILED'],
        ['more than POINTS_MAX_CHARGE', { amount: MAX_CHARGE + 1 }, 'INVALID_AMOUNT'],
        ['beyond the integer range', { amount: 1e20 }, 'INVALID_AMOUNT'],
        [
          'an extra field naming another user',
          { amount: 100, userId: '00000000-0000-0000-0000-000000000000' },
          'VALIDATION_FAILED',
        ],
      ])('%s', async (_label, body, code) => {
        const res = await charge(user, body).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, code });
        expect(await walletOf(user)).toBe(1_000);
        expect(await ledgerOf(user)).toHaveLength(1);
      });

      it.each<[string, string, string]>([
        ['an amount that JSON turns into Infinity', '{"amount":1e999}', 'VALIDATION_FAILED'],
        ['a bare number instead of an object', '100', 'VALIDATION_FAILED'],
        ['an array instead of an object', '[{"amount":100}]', 'VALIDATION_FAILED'],
        ['malformed JSON', '{"amount":', 'INVALID_JSON'],
      ])('%s', async (_label, raw, code) => {
        const res = await t
          .http()
          .patch('/points/charge')
          .set(user.headers)
          .set('Content-Type', 'application/json')
          .send(raw);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, code });
        expect(await walletOf(user)).toBe(1_000);
        expect(await ledgerOf(user)).toHaveLength(1);
      });

      it('an empty body', async () => {
        const res = await t.http().patch('/points/charge').set(user.headers).expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
        expect(await walletOf(user)).toBe(1_000);
      });

      it('a charge that would take the balance beyond POINTS_MAX_BALANCE', async () => {
        const full = await chargedUser(MAX_BALANCE);
        const res = await charge(full, { amount: 1 }).expect(400);
        expect(res.body).toMatchObject({
          code: 'BALANCE_LIMIT_EXCEEDED',
          details: { balance: MAX_BALANCE, amount: 1, maxBalance: MAX_BALANCE },
        });
        expect(await walletOf(full)).toBe(MAX_BALANCE);
        expect(await ledgerOf(full)).toHaveLength(MAX_BALANCE / MAX_CHARGE);
      });
    });
  });

  describe('PATCH /points/charge with an Idempotency-Key', () => {
    async function keysOf(user: TestUser): Promise<{ key: string; completed: boolean }[]> {
      const { rows } = await t.db.query<{ key: string; completed: boolean }>(
        'SELECT key, completed_at IS NOT NULL AS completed FROM idempotency_keys WHERE user_id = $1',
        [user.id],
      );
      return rows;
    }

    it('charges once for 20 parallel retries; each gets the first body or 409 while it runs, and a later retry the same body', async () => {
      const user = await createUser(t);
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => charge(user, { amount: 700 }, 'retry-20')),
      );

      const succeeded = responses.filter((res) => res.status === 200);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      for (const res of succeeded) expect(res.body).toEqual({ points: 700, chargeAmount: 700 });
      for (const res of responses.filter((r) => r.status !== 200)) {
        expect(res.status).toBe(409);
        expect(res.body).toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_USE' });
      }
      expect((await charge(user, { amount: 700 }, 'retry-20').expect(200)).body).toEqual({
        points: 700,
        chargeAmount: 700,
      });
      expect(await walletOf(user)).toBe(700);
      expect(await ledgerOf(user)).toHaveLength(1);
    });

    it('replays the first response even after the balance has moved on', async () => {
      const user = await createUser(t);
      await charge(user, { amount: 100 }, 'first').expect(200);
      await charge(user, { amount: 50 }).expect(200);
      expect((await charge(user, { amount: 100 }, 'first').expect(200)).body).toEqual({
        points: 100,
        chargeAmount: 100,
      });
      expect(await walletOf(user)).toBe(150);
    });

    it('rejects the same key with a different body with 422 and charges nothing more', async () => {
      const user = await createUser(t);
      await charge(user, { amount: 100 }, 'reused').expect(200);
      const res = await charge(user, { amount: 200 }, 'reused').expect(422);
      expect(res.body).toMatchObject({ statusCode: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(await walletOf(user)).toBe(100);
    });

    it('keeps keys per user: another user with the same key is charged on their own', async () => {
      const [alice, bob] = [await createUser(t), await createUser(t)];
      await charge(alice, { amount: 100 }, 'shared-key').expect(200);
      expect((await charge(bob, { amount: 300 }, 'shared-key').expect(200)).body).toEqual({
        points: 300,
        chargeAmount: 300,
      });
      expect([await walletOf(alice), await walletOf(bob)]).toEqual([100, 300]);
    });

    it('keeps no key for a charge that failed, so its retry is processed again', async () => {
      const full = await chargedUser(MAX_BALANCE);
      await charge(full, { amount: 1 }, 'too-much').expect(400);
      expect(await keysOf(full)).toEqual([]);
      const retry = await charge(full, { amount: 1 }, 'too-much').expect(400);
      expect(retry.body).toMatchObject({ code: 'BALANCE_LIMIT_EXCEEDED' });
    });

    it('stores the key completed, in the same commit as the charge', async () => {
      const user = await createUser(t);
      await charge(user, { amount: 100 }, 'stored').expect(200);
      expect(await keysOf(user)).toEqual([{ key: 'stored', completed: true }]);
      const { rows } = await t.db.query(
        'SELECT response_status, response_body FROM idempotency_keys WHERE user_id = $1',
        [user.id],
      );
      expect(rows).toEqual([{ response_status: 200, response_body: { balance: 100, charged: 100 } }]);
    });

    it('answers 409 while another attempt holds the key, and takes over one abandoned for over a minute', async () => {
      const user = await createUser(t);
      await t.db.query(
        `INSERT INTO idempotency_keys (user_id, scope, key, request_hash) VALUES ($1, $2, 'crashed', $3)`,
        [user.id, CHARGE_SCOPE, hashRequest(CHARGE_SCOPE, { amount: 400 })],
      );
      expect((await charge(user, { amount: 400 }, 'crashed').expect(409)).body).toMatchObject({
        code: 'IDEMPOTENCY_KEY_IN_USE',
      });
      expect(await walletOf(user)).toBeNull();

      await t.db.query(
        `UPDATE idempotency_keys SET created_at = now() - interval '61 seconds' WHERE user_id = $1`,
        [user.id],
      );
      expect((await charge(user, { amount: 400 }, 'crashed').expect(200)).body).toEqual({
        points: 400,
        chargeAmount: 400,
      });
      expect((await charge(user, { amount: 400 }, 'crashed').expect(200)).body).toEqual({
        points: 400,
        chargeAmount: 400,
      });
      expect(await walletOf(user)).toBe(400);
      expect(await keysOf(user)).toEqual([{ key: 'crashed', completed: true }]);
    });

    it.each<[string, string]>([
      ['empty', ''],
      ['longer than 255 characters', 'k'.repeat(256)],
      ['not printable ASCII', 'cl\u00e9'],
    ])('rejects a key that is %s with 400 and charges nothing', async (_label, key) => {
      const user = await createUser(t);
      const res = await charge(user, { amount: 100 }, key).expect(400);
      expect(res.body).toMatchObject({ code: 'INVALID_IDEMPOTENCY_KEY' });
      expect(await walletOf(user)).toBeNull();
      expect(await keysOf(user)).toEqual([]);
    });

    it('accepts a key of 255 printable characters', async () => {
      const user = await createUser(t);
      await charge(user, { amount: 100 }, 'K'.repeat(255)).expect(200);
    });
  });

  describe('GET /points/history', () => {
    let user: TestUser;

    beforeAll(async () => {
      user = await createUser(t);
      for (let amount = 1; amount <= 25; amount++) await charge(user, { amount }).expect(200);
    });

    const history = (query: string) => t.http().get(`/points/history${query}`).set(user.headers);
    const amounts = (body: { history: { amount: number }[] }) => body.history.map((entry) => entry.amount);
    const countdown = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

    it('lists the newest 20 entries by default, with pagination', async () => {
      const res = await history('').expect(200);
      expect(amounts(res.body)).toEqual(countdown(25, 6));
      expect(res.body.pagination).toEqual({ page: 1, limit: 20, total: 25, totalPages: 2 });
      expect(res.body.history[0]).toEqual({
        id: expect.stringMatching(UUID),
        type: 'CHARGE',
        amount: 25,
        balanceAfter: 325,
        paymentId: null,
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });

    it('pages with page and limit', async () => {
      expect(amounts((await history('?page=2').expect(200)).body)).toEqual(countdown(5, 1));
      const res = await history('?page=3&limit=10').expect(200);
      expect(amounts(res.body)).toEqual(countdown(5, 1));
      expect(res.body.pagination).toEqual({ page: 3, limit: 10, total: 25, totalPages: 3 });
      expect((await history('?page=4&limit=10').expect(200)).body.history).toEqual([]);
    });

    it('is empty for a user without a ledger', async () => {
      const other = await createUser(t);
      const res = await t.http().get('/points/history').set(other.headers).expect(200);
      expect(res.body).toEqual({ history: [], pagination: { page: 1, limit: 20, total: 0, totalPages: 0 } });
    });

    it.each(['?page=0', '?limit=0', '?limit=101', '?page=abc', '?limit=1.5', '?page=-1', '?userId=x'])(
      'rejects %s with 400',
      async (query) => {
        expect((await history(query).expect(400)).body).toMatchObject({ code: 'VALIDATION_FAILED' });
      },
    );
  });

  describe('wallet isolation', () => {
    it('a user never sees or changes another user’s wallet', async () => {
      const [alice, bob] = [await createUser(t), await createUser(t)];
      await charge(alice, { amount: 700 }).expect(200);

      expect((await t.http().get('/points').set(bob.headers).expect(200)).body).toEqual({ points: 0 });
      expect((await t.http().get('/points/history').set(bob.headers).expect(200)).body.history).toEqual([]);
      expect((await charge(bob, { amount: 300 }).expect(200)).body).toEqual({
        points: 300,
        chargeAmount: 300,
      });

      expect((await t.http().get('/points').set(alice.headers).expect(200)).body).toEqual({ points: 700 });
      const aliceHistory = await t.http().get('/points/history').set(alice.headers).expect(200);
      expect(aliceHistory.body.history).toMatchObject([{ amount: 700, balanceAfter: 700 }]);
    });
  });

  describe('IdempotencyService.deleteExpired', () => {
    it('deletes keys older than 24 hours and keeps newer ones', async () => {
      const user = await createUser(t);
      const insertKey = (key: string, age: string) =>
        t.db.query(
          `INSERT INTO idempotency_keys (user_id, scope, key, request_hash, created_at, completed_at)
           VALUES ($1, 'test', $2, 'hash', now() - $3::interval, now() - $3::interval)`,
          [user.id, key, age],
        );
      await Promise.all([
        insertKey('old-1', '25 hours'),
        insertKey('old-2', '24 hours 1 second'),
        insertKey('young', '23 hours'),
      ]);

      await expect(t.app.get(IdempotencyService).deleteExpired()).resolves.toBe(2);
      const { rows } = await t.db.query('SELECT key FROM idempotency_keys WHERE user_id = $1', [user.id]);
      expect(rows).toEqual([{ key: 'young' }]);
    });
  });
});
