import type { Session, TokenPair } from '../auth.service.js';

export class SessionResponse {
  userId!: string;
  accessToken!: string;
  refreshToken!: string;
}

export function toSessionResponse(session: Session): SessionResponse {
  return { userId: session.userId, accessToken: session.accessToken, refreshToken: session.refreshToken };
}

export class TokenPairResponse {
  accessToken!: string;
  refreshToken!: string;
}

export function toTokenPairResponse(pair: TokenPair): TokenPairResponse {
  return { accessToken: pair.accessToken, refreshToken: pair.refreshToken };
}
