import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import type { Session, TokenPair } from '../auth.service.js';

export class SessionResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.userId })
  userId!: string;

  @ApiProperty({ description: 'Send as `Authorization: Bearer <accessToken>`', example: EXAMPLE.accessToken })
  accessToken!: string;

  @ApiProperty({ description: 'Only for POST /auth/refresh and /auth/logout', example: EXAMPLE.refreshToken })
  refreshToken!: string;
}

export function toSessionResponse(session: Session): SessionResponse {
  return { userId: session.userId, accessToken: session.accessToken, refreshToken: session.refreshToken };
}

export class TokenPairResponse {
  @ApiProperty({ example: EXAMPLE.accessToken })
  accessToken!: string;

  @ApiProperty({ description: 'Replaces the refresh token that was sent', example: EXAMPLE.refreshToken })
  refreshToken!: string;
}

export function toTokenPairResponse(pair: TokenPair): TokenPairResponse {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
}
