import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/app-config.js';
import { Role } from '../../generated/prisma/enums.js';
import type { AccessTokenClaims, AuthUser } from './auth-user.js';
import { bearerToken } from './bearer-token.js';
import { asVerifyKey } from './verify-key.js';
import { IS_PUBLIC } from './public.decorator.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Global guard: every route needs a valid access token unless it is @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, unknown>; user?: AuthUser }>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedException('A Bearer access token is required');
    const claims = await this.jwt
      .verifyAsync<AccessTokenClaims>(token, {
        publicKey: asVerifyKey(this.config.jwt.accessKey),
        algorithms: ['HS256'],
      })
      .catch(() => undefined);
    if (
      !claims ||
      claims.typ !== 'access' ||
      typeof claims.sub !== 'string' ||
      !Object.values(Role).includes(claims.role)
    ) {
      throw new UnauthorizedException('The access token is invalid or expired');
    }
    request.user = {
      id: claims.sub,
      role: claims.role,
      ...(typeof claims.sid === 'string' && UUID.test(claims.sid) ? { sessionId: claims.sid } : {}),
    };
    return true;
  }
}
