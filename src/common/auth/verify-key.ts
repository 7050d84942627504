import type { KeyObject } from 'node:crypto';

/**
 * @nestjs/jwt and passport-jwt type a verification key as string | Buffer, but hand it to
 * jsonwebtoken unchanged, which takes a KeyObject too (see AppConfig.jwt for why we want one).
 */
export function asVerifyKey(key: KeyObject): Buffer {
  return key as unknown as Buffer;
}
