import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config.js';
import { ACCESS_TOKEN_ALGORITHMS, authUserFromAccessClaims } from './access-token.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import type { AuthUser } from './auth-user.js';
import { bearerToken } from './bearer-token.js';
import { asVerifyKey } from './verify-key.js';

/**
 * passport-jwt's 'jwt' strategy for access tokens; JwtAuthGuard runs it on every non-public
 * route. A token AccessTokenVerifier already checked (the same rule, verifyAccessToken) passes
 * without a second signature check: a buyer sends the same token with every request of a rush,
 * and checking it again cost about 45 µs of a hold's 500. Anything else goes to passport-jwt.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly tokens: AccessTokenVerifier,
  ) {
    super({
      jwtFromRequest: (request: { headers: Record<string, unknown> }) =>
        bearerToken(request.headers.authorization) ?? null,
      secretOrKey: asVerifyKey(config.jwt.accessKey),
      algorithms: ACCESS_TOKEN_ALGORITHMS,
    });
  }

  override authenticate(request: { headers: Record<string, unknown> }, options?: object): void {
    const user = this.tokens.verifyHeader(request.headers.authorization);
    if (user) this.success(user);
    else super.authenticate(request as never, options);
  }

  /** Passport treats a falsy result as a failed authentication (JwtAuthGuard answers 401). */
  validate(claims: unknown): AuthUser | false {
    return authUserFromAccessClaims(claims) ?? false;
  }
}
