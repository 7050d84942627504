import { ApiProperty, PickType } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import type { Session, TokenPair } from '../auth.service.js';
import { AccountResponse } from './account.response.js';

export class SessionResponse extends PickType(AccountResponse, ['userId'] as const) {
  @ApiProperty({ description: 'Send as `Authorization: Bearer <accessToken>`', example: EXAMPLE.accessToken })
  accessToken!: string;

  @ApiProperty({ description: 'Only for POST /auth/refresh and /auth/logout', example: EXAMPLE.refreshToken })
  refreshToken!: string;
}

export function toSessionResponse(session: Session): SessionResponse {
  return { userId: session.userId, accessToken: session.accessToken, refreshToken: session.refreshToken };
}

/** POST /auth/refresh: the new pair replaces the refresh token that was sent. */
export class TokenPairResponse extends PickType(SessionResponse, ['accessToken', 'refreshToken'] as const) {}

export function toTokenPairResponse(pair: TokenPair): TokenPairResponse {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
}
