import { createSecretKey, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { verifyAccessToken } from './access-token.js';

const key = createSecretKey(Buffer.from('access-secret-for-the-unit-test-000000'));
const sign = (claims: object) => jwt.sign(claims, key, { algorithm: 'HS256', expiresIn: 60 });

describe(verifyAccessToken.name, () => {
  it('names the user, role and session of a valid access token', () => {
    const sid = randomUUID();
    expect(verifyAccessToken(sign({ sub: 'u1', role: 'ADMIN', typ: 'access', sid }), key)).toEqual({
      id: 'u1',
      role: 'ADMIN',
      sessionId: sid,
    });
  });

  it('leaves the session out when sid is not a UUID', () => {
    expect(verifyAccessToken(sign({ sub: 'u1', role: 'USER', typ: 'access', sid: 'x' }), key)).toEqual({
      id: 'u1',
      role: 'USER',
    });
  });

  it.each([
    ['a refresh token', { sub: 'u1', role: 'USER', typ: 'refresh' }],
    ['an unknown role', { sub: 'u1', role: 'ROOT', typ: 'access' }],
    ['no subject', { role: 'USER', typ: 'access' }],
  ])('refuses %s', (_case, claims) => {
    expect(verifyAccessToken(sign(claims), key)).toBeUndefined();
  });

  it('refuses an expired token, another key, another algorithm and an unsigned token', () => {
    const claims = { sub: 'u1', role: 'USER', typ: 'access' };
    const otherKey = createSecretKey(Buffer.from('another-secret-000000000000000000000000'));
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify(claims),
    ).toString('base64url')}.`;

    expect(
      verifyAccessToken(jwt.sign({ ...claims, exp: 1 }, key, { algorithm: 'HS256' }), key),
    ).toBeUndefined();
    expect(verifyAccessToken(sign(claims), otherKey)).toBeUndefined();
    expect(verifyAccessToken(jwt.sign(claims, key, { algorithm: 'HS512' }), key)).toBeUndefined();
    expect(verifyAccessToken(unsigned, key)).toBeUndefined();
  });
});
