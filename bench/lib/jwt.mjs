import { createHmac } from 'node:crypto';
import { Buffer } from 'node:buffer';

const base64url = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const HEADER = base64url({ alg: 'HS256', typ: 'JWT' });

/**
 * An access token exactly as the auth module signs it (HS256, claims sub/role/typ), so the
 * benchmark can prepare thousands of users in SQL instead of through POST /auth/register.
 */
export function signAccessToken(secret, userId, { role = 'USER', ttlSeconds = 6 * 3600 } = {}) {
  const issuedAt = Math.floor(Date.now() / 1000);
  const payload = base64url({ sub: userId, role, typ: 'access', iat: issuedAt, exp: issuedAt + ttlSeconds });
  const signature = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}
