import { randomBytes, scryptSync } from 'node:crypto';

/**
 * A hash as the scrypt scheme before argon2id stored it (`scrypt$N$r$p$salt$key`, base64url).
 * Production used N=2^15, r=8, p=3; the default here is cheaper, with the same format.
 */
export function legacyScryptHash(password: string, params = { N: 1024, r: 8, p: 1 }): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFKC'), salt, 32, {
    ...params,
    maxmem: 256 * params.N * params.r,
  });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}
