import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from './auth-user.js';
import { AccessTokenVerifier } from './access-token-verifier.js';
import { bearerToken } from './bearer-token.js';
import { IS_PUBLIC } from './public.decorator.js';

/** Global guard: every route needs a valid access token unless it is @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenVerifier,
  ) {}

  canActivate(context: ExecutionContext): boolean {
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
    const user = this.tokens.verify(token);
    if (!user) throw new UnauthorizedException('The access token is invalid or expired');
    request.user = user;
    return true;
  }
}
