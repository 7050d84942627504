import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Injectable } from '@nestjs/common';
import { Algorithm, hash as argon2Hash, verify as argon2Verify, type Options } from '@node-rs/argon2';
import pLimit from 'p-limit';

/**
 * OWASP's first argon2id choice (Password Storage Cheat Sheet): 19 MiB, two passes, one lane.
 * About 12 ms of one core here (the bench's CPU per bare verify): two cores verify 120–160 a
 * second.
 */
export const ARGON2_PARAMS = {
  algorithm: Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const satisfies Options;

/**
 * Hashes computed at once in this process: one per core, the rest wait their turn in order.
 * libuv's pool would run four, and four memory-hard hashes time-sliced on two cores cost about
 * 10% more CPU each (caches), while the event loop and PostgreSQL wait behind them.
 */
export const HASHING_SLOTS = availableParallelism();
/** Runs a hash in a slot; `activeCount` and `pendingCount` say how many run and wait. */
export const hashing = pLimit(HASHING_SLOTS);

/** The PHC string prefix of a hash at the current parameters: anything else is rehashed on login. */
const CURRENT_PREFIX = `$argon2id$v=19$m=${ARGON2_PARAMS.memoryCost},t=${ARGON2_PARAMS.timeCost},p=${ARGON2_PARAMS.parallelism}$`;
const ARGON2_ENCODED = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;

/** The scheme before argon2id: still verified, so nobody is locked out, and replaced on the next login. */
interface ScryptParams {
  N: number;
  r: number;
  p: number;
}
const SCRYPT_ENCODED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{22,})\$([A-Za-z0-9_-]{43,})$/;

// NIST SP 800-63B: normalise so the same password typed on another keyboard still matches.
const normalise = (password: string) => password.normalize('NFKC');

/** Bounds on parameters read back from the database, so a corrupt row cannot ask for gigabytes. */
function isAcceptableScrypt({ N, r, p }: ScryptParams): boolean {
  return N >= 2 ** 10 && N <= 2 ** 20 && (N & (N - 1)) === 0 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

function isAcceptableArgon2(encoded: string): boolean {
  const match = ARGON2_ENCODED.exec(encoded);
  if (!match) return false;
  const [m, t, p] = match.slice(1).map(Number) as [number, number, number];
  return m >= 8 * 1024 && m <= 256 * 1024 && t >= 1 && t <= 10 && p >= 1 && p <= 8;
}

/** Undefined when `encoded` is not a scrypt hash this class accepts. */
function verifyScrypt(password: string, encoded: string): (() => Promise<boolean>) | undefined {
  const match = SCRYPT_ENCODED.exec(encoded);
  if (!match) return undefined;
  const [, N, r, p, salt, key] = match;
  const params = { N: Number(N), r: Number(r), p: Number(p) };
  if (!isAcceptableScrypt(params)) return undefined;
  const expected = Buffer.from(key!, 'base64url');
  // scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is too small for N=2^15, r=8.
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r };
  return () =>
    new Promise((resolve, reject) => {
      scrypt(
        normalise(password),
        Buffer.from(salt!, 'base64url'),
        expected.length,
        options,
        (error, derived) => (error ? reject(error) : resolve(timingSafeEqual(derived, expected))),
      );
    });
}

/**
 * Password hashes as PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`). @node-rs/argon2
 * computes them on libuv's thread pool, never on the event loop, `HASHING_SLOTS` at once.
 * Older `scrypt$N$r$p$salt$key` strings still verify; `needsRehash` tells the caller to
 * replace them after a successful login.
 */
@Injectable()
export class PasswordHasher {
  /** Compared against when there is no stored hash, so unknown emails cost as much as wrong passwords. */
  private readonly dummyHash: Promise<string> = this.hash(randomBytes(16).toString('hex'));

  hash(password: string): Promise<string> {
    return hashing(() => argon2Hash(normalise(password), ARGON2_PARAMS));
  }

  /** False for a wrong password, a missing hash or a hash this class did not write; never throws for those. */
  async verify(password: string, encoded: string | undefined): Promise<boolean> {
    if (encoded !== undefined && isAcceptableArgon2(encoded)) {
      return hashing(() => argon2Verify(encoded, normalise(password))).catch(() => false);
    }
    const scryptCheck = encoded === undefined ? undefined : verifyScrypt(password, encoded);
    if (scryptCheck) return hashing(scryptCheck);
    // Awaited before taking a slot, so that no slot sits idle waiting for another hash.
    const dummyHash = await this.dummyHash;
    await hashing(() => argon2Verify(dummyHash, normalise(password))).catch(() => false);
    return false;
  }

  /** True for any hash not written with today's scheme and parameters. */
  needsRehash(encoded: string): boolean {
    return !encoded.startsWith(CURRENT_PREFIX);
  }
}
