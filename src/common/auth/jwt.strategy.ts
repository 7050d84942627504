import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { AppConfig } from '../../config/app-config.js';
import { ACCESS_TOKEN_ALGORITHMS, authUserFromAccessClaims } from './access-token.js';
import type { AuthUser } from './auth-user.js';
import { bearerToken } from './bearer-token.js';
import { asVerifyKey } from './verify-key.js';

/** passport-jwt's 'jwt' strategy for access tokens; JwtAuthGuard runs it on every non-public route. */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    super({
      jwtFromRequest: (request: { headers: Record<string, unknown> }) =>
        bearerToken(request.headers.authorization) ?? null,
      secretOrKey: asVerifyKey(config.jwt.accessKey),
      algorithms: ACCESS_TOKEN_ALGORITHMS,
    });
  }

  /** Passport treats a falsy result as a failed authentication (JwtAuthGuard answers 401). */
  validate(claims: unknown): AuthUser | false {
    return authUserFromAccessClaims(claims) ?? false;
  }
}
