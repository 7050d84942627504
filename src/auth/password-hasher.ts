import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { Injectable } from '@nestjs/common';

interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's scrypt option of N=2^15, r=8, p=3: 32 MiB of memory per hash, the same
 * work as N=2^17, p=1 with a quarter of the memory, so parallel logins stay affordable.
 */
const CURRENT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const ENCODED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43,})$/;

function deriveKey(password: string, salt: Buffer, keyBytes: number, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly our working set, so raise it.
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return new Promise((resolve, reject) => {
    // NIST SP 800-63B: normalise so the same password typed on another keyboard still matches.
    scrypt(password.normalize('NFKC'), salt, keyBytes, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** Bounds on parameters read back from the database, so a corrupt row cannot ask for gigabytes. */
function isAcceptable({ N, r, p }: ScryptParams): boolean {
  return N >= 2 ** 10 && N <= 2 ** 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

function decode(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const match = ENCODED.exec(encoded);
  if (!match) return undefined;
  const [, N, r, p, salt, key] = match;
  const params = { N: Number(N), r: Number(r), p: Number(p) };
  if (!isAcceptable(params)) return undefined;
  return { params, salt: Buffer.from(salt!, 'base64url'), key: Buffer.from(key!, 'base64url') };
}

/**
 * Password hashes as self-describing strings `scrypt$N$r$p$salt$key` (base64url), so the
 * cost can be raised later without breaking stored hashes. Runs on libuv's thread pool.
 */
@Injectable()
export class PasswordHasher {
  /** Compared against when there is no stored hash, so unknown emails cost as much as wrong passwords. */
  private readonly dummyHash: Promise<string> = this.hash(randomBytes(16).toString('hex'));

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await deriveKey(password, salt, KEY_BYTES, CURRENT);
    const { N, r, p } = CURRENT;
    return `scrypt$${N}$${r}$${p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
  }

  /** False for a wrong password, a missing hash or a hash this class did not write; never throws for those. */
  async verify(password: string, encoded: string | undefined): Promise<boolean> {
    const stored = encoded === undefined ? undefined : decode(encoded);
    if (!stored) {
      await this.verify(password, await this.dummyHash);
      return false;
    }
    const candidate = await deriveKey(password, stored.salt, stored.key.length, stored.params);
    return timingSafeEqual(candidate, stored.key);
  }
}
