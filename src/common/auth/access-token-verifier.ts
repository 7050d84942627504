import { Global, Injectable, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { verifyAccessTokenWithExpiry } from './access-token.js';
import type { AuthUser } from './auth-user.js';
import { bearerToken } from './bearer-token.js';

/**
 * Tokens remembered after their signature checked out: a poller sends the same token every few
 * seconds for its whole lifetime. About 400 bytes each; the oldest is dropped beyond this.
 */
const MAX_REMEMBERED_TOKENS = 100_000;

/**
 * Access-token verification for the requests answered before Nest's pipeline (the queue's steady
 * poll, FastRoutes) and for JwtStrategy itself. It applies one rule, verifyAccessToken,
 * and remembers a token that passed it with its expiry, so that a fan polling with it costs a
 * map lookup instead of a signature check each time; keyed by the whole token, so a remembered
 * answer is exactly what checking again would give until `exp`, and nothing is remembered for a
 * bad token.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();

  constructor(private readonly config: AppConfig) {}

  /** The caller of an `Authorization: Bearer` header with a valid, unexpired access token; null for anything else. */
  verifyHeader(authorization: unknown): AuthUser | null {
    const token = bearerToken(authorization);
    return token === undefined ? null : this.verify(token);
  }

  /** The caller of a valid, unexpired access token; null for anything else. */
  verify(token: string): AuthUser | null {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return known.user;
      this.verified.delete(token);
      return null;
    }
    const verified = verifyAccessTokenWithExpiry(token, this.config.jwt.accessKey);
    if (!verified) return null;
    const { user, exp: expiresAt } = verified;
    // A token without an expiry is not kept.
    if (expiresAt !== undefined) {
      const oldest = this.verified.keys().next();
      if (this.verified.size >= MAX_REMEMBERED_TOKENS && !oldest.done) this.verified.delete(oldest.value);
      this.verified.set(token, { user, expiresAtMs: expiresAt * 1000 });
    }
    return user;
  }
}

/** Provides the verifier everywhere (one instance, so one memory of tokens). */
@Global()
@Module({
  providers: [AccessTokenVerifier],
  exports: [AccessTokenVerifier],
})
export class AccessTokenModule {}
