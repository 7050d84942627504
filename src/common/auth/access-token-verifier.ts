import { Global, Injectable, Module } from '@nestjs/common';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/app-config.js';
import { Role } from '../../generated/prisma/enums.js';
import type { AccessTokenClaims, AuthUser } from './auth-user.js';
import { asVerifyKey } from './verify-key.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = new Set<unknown>(Object.values(Role));
/**
 * Tokens remembered after their signature checked out: a poller sends the same token every few
 * seconds for its whole lifetime. About 400 bytes each; the oldest is dropped beyond this.
 */
const MAX_REMEMBERED_TOKENS = 100_000;

/**
 * Access-token verification, for the global guard and for the queue's steady poll (which
 * answers before Nest's pipeline). A token whose HS256 signature and claims checked out is
 * remembered with its expiry, so that a fan polling with it costs a map lookup instead of a
 * signature check each time; keyed by the whole token, so a remembered answer is exactly what
 * checking again would give until `exp`, and nothing is remembered for a bad token.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly verified = new Map<string, { user: AuthUser; expiresAtMs: number }>();

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  /** The caller of a valid, unexpired access token; null for anything else. */
  verify(token: string): AuthUser | null {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return known.user;
      this.verified.delete(token);
      return null;
    }
    let claims: AccessTokenClaims & { exp?: number };
    try {
      claims = this.jwt.verify(token, {
        publicKey: asVerifyKey(this.config.jwt.accessKey),
        algorithms: ['HS256'],
      });
    } catch {
      return null;
    }
    const user = userOf(claims);
    if (user && typeof claims.exp === 'number') {
      if (this.verified.size >= MAX_REMEMBERED_TOKENS)
        this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { user, expiresAtMs: claims.exp * 1000 });
    }
    return user;
  }
}

/** The user an access token's claims name, or null when they are not an access token's. */
export function userOf(claims: Partial<AccessTokenClaims>): AuthUser | null {
  if (claims.typ !== 'access' || typeof claims.sub !== 'string' || !ROLES.has(claims.role)) return null;
  return {
    id: claims.sub,
    role: claims.role!,
    ...(typeof claims.sid === 'string' && UUID.test(claims.sid) ? { sessionId: claims.sid } : {}),
  };
}

/** Provides the verifier everywhere: the guard (global) and the queue's poll path use one instance. */
@Global()
@Module({
  imports: [JwtModule.register({})],
  providers: [AccessTokenVerifier],
  exports: [AccessTokenVerifier],
})
export class AccessTokenModule {}
