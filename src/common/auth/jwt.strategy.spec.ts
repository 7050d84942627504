import { jest } from '@jest/globals';
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../../config/app-config.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { JwtStrategy } from './jwt.strategy.js';

const key = createSecretKey(Buffer.from('k'.repeat(32)));
const config = { jwt: { accessKey: key } } as unknown as AppConfig;
const userId = '6f1c2d3e-0000-4000-8000-000000000002';
const sign = (claims: object, expiresIn = 900) => jwt.sign(claims, key, { algorithm: 'HS256', expiresIn });

/** Runs the strategy as passport does (success/fail set on the instance), and says what it answered. */
function authenticate(strategy: JwtStrategy, authorization?: string): Promise<unknown> {
  return new Promise((resolve) => {
    const run = Object.create(strategy) as JwtStrategy & {
      success: (user: unknown) => void;
      fail: (info: unknown) => void;
      error: (error: unknown) => void;
    };
    run.success = (user) => resolve({ user });
    run.fail = () => resolve('fail');
    run.error = (error) => resolve({ error });
    run.authenticate({ headers: authorization === undefined ? {} : { authorization } });
  });
}

describe('JwtStrategy', () => {
  afterEach(() => jest.restoreAllMocks());

  it('accepts a valid token, checking its signature once for many requests', async () => {
    const strategy = new JwtStrategy(config, new AccessTokenVerifier(config));
    const token = sign({ sub: userId, role: 'USER', typ: 'access' });
    const checks = jest.spyOn(jwt, 'verify');
    for (let i = 0; i < 3; i++)
      await expect(authenticate(strategy, `Bearer ${token}`)).resolves.toEqual({
        user: { id: userId, role: 'USER' },
      });
    expect(checks).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['no token', undefined],
    ['a refresh token', `Bearer ${sign({ sub: userId, role: 'USER', typ: 'refresh' })}`],
    ['an expired token', `Bearer ${sign({ sub: userId, role: 'USER', typ: 'access' }, -10)}`],
    ['garbage', 'Bearer a.b.c'],
  ])('fails %s through passport-jwt', async (_, authorization) => {
    const strategy = new JwtStrategy(config, new AccessTokenVerifier(config));
    await expect(authenticate(strategy, authorization)).resolves.toBe('fail');
  });
});
