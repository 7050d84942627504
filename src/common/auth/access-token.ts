import type { KeyObject } from 'node:crypto';
import jwt, { type Algorithm } from 'jsonwebtoken';
import { Role } from '../../generated/prisma/enums.js';
import type { AccessTokenClaims, AuthUser } from './auth-user.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The only algorithm an access token may name: pinning it refuses `alg: none` and
 * public-key/secret confusion. passport-jwt's strategy and verifyAccessToken both use it.
 */
export const ACCESS_TOKEN_ALGORITHMS: Algorithm[] = ['HS256'];

/**
 * The caller an already signature-checked access token names, or undefined when its claims are
 * not those of an access token (a refresh token, an unknown role, no subject).
 */
export function authUserFromAccessClaims(claims: unknown): AuthUser | undefined {
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { sub, role, typ, sid } = claims as Partial<AccessTokenClaims>;
  if (typ !== 'access' || typeof sub !== 'string' || !Object.values(Role).includes(role as Role)) {
    return undefined;
  }
  return {
    id: sub,
    role: role as Role,
    ...(typeof sid === 'string' && UUID.test(sid) ? { sessionId: sid } : {}),
  };
}

/**
 * Verifies an access token synchronously (signature, algorithm, expiry) and checks its claims:
 * the same `jsonwebtoken.verify` call, with the same key and options, that passport-jwt makes
 * in JwtStrategy, for callers outside Nest's guards (the queue poll's fast path).
 */
export function verifyAccessToken(token: string, key: KeyObject): AuthUser | undefined {
  return verifyAccessTokenWithExpiry(token, key)?.user;
}

/** As verifyAccessToken, with the token's `exp` (seconds) when it has one: one verification for both. */
export function verifyAccessTokenWithExpiry(
  token: string,
  key: KeyObject,
): { user: AuthUser; exp: number | undefined } | undefined {
  let claims: unknown;
  try {
    claims = jwt.verify(token, key, { algorithms: ACCESS_TOKEN_ALGORITHMS });
  } catch {
    return undefined;
  }
  const user = authUserFromAccessClaims(claims);
  if (!user) return undefined;
  const { exp } = claims as { exp?: unknown };
  return { user, exp: typeof exp === 'number' ? exp : undefined };
}
