import { jest } from '@jest/globals';
import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { AppConfig } from '../../config/app-config.js';
import { AccessTokenVerifier } from './access-token-verifier.js';

const key = createSecretKey(Buffer.from('k'.repeat(32)));
const otherKey = createSecretKey(Buffer.from('o'.repeat(32)));
const verifier = () => new AccessTokenVerifier({ jwt: { accessKey: key } } as unknown as AppConfig);
const sign = (claims: object, secret = key, expiresIn = 900) =>
  jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn });
const userId = '6f1c2d3e-0000-4000-8000-000000000002';
const sid = '6f1c2d3e-0000-4000-8000-000000000003';

describe('AccessTokenVerifier', () => {
  afterEach(() => jest.restoreAllMocks());

  it('reads the token of an Authorization: Bearer header, and nothing else', () => {
    const token = sign({ sub: userId, role: 'USER', typ: 'access' });
    expect(verifier().verifyHeader(`Bearer ${token}`)).toEqual({ id: userId, role: 'USER' });
    expect(verifier().verifyHeader(`Basic ${token}`)).toBeNull();
    expect(verifier().verifyHeader(undefined)).toBeNull();
    expect(verifier().verifyHeader([`Bearer ${token}`])).toBeNull();
  });

  it('gives the user of a valid access token, with the session when it names one', () => {
    expect(verifier().verify(sign({ sub: userId, role: 'USER', typ: 'access', sid }))).toEqual({
      id: userId,
      role: 'USER',
      sessionId: sid,
    });
    expect(verifier().verify(sign({ sub: userId, role: 'ADMIN', typ: 'access' }))).toEqual({
      id: userId,
      role: 'ADMIN',
    });
  });

  it.each([
    ['a refresh token', sign({ sub: userId, role: 'USER', typ: 'refresh' })],
    ['an unknown role', sign({ sub: userId, role: 'ROOT', typ: 'access' })],
    ['no subject', sign({ role: 'USER', typ: 'access' })],
    ['another key', sign({ sub: userId, role: 'USER', typ: 'access' }, otherKey)],
    ['an expired token', sign({ sub: userId, role: 'USER', typ: 'access' }, key, -10)],
    ['garbage', 'a.b.c'],
  ])('refuses %s, and again the second time', (_, token) => {
    const tokens = verifier();
    expect(tokens.verify(token)).toBeNull();
    expect(tokens.verify(token)).toBeNull();
  });

  it('remembers a verified token only until it expires', () => {
    const tokens = verifier();
    const token = sign({ sub: userId, role: 'USER', typ: 'access' }, key, 60);
    // verifyAccessToken's signature check: once for the first poll, never for the next ones.
    const checks = jest.spyOn(jwt, 'verify');
    expect(tokens.verify(token)?.id).toBe(userId);
    expect(tokens.verify(token)?.id).toBe(userId);
    expect(checks).toHaveBeenCalledTimes(1);
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    expect(tokens.verify(token)).toBeNull();
  });
});
