import { createParamDecorator, ExecutionContext, UnauthorizedException } from '@nestjs/common';
import { bearerToken } from '../common/auth/bearer-token.js';

/** The refresh token from `Authorization: Bearer <token>`; 401 when the header is missing or malformed. */
export const RefreshBearerToken = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string => {
    const token = bearerToken(
      context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization,
    );
    if (!token) throw new UnauthorizedException('A Bearer refresh token is required');
    return token;
  },
);
