import type { Role } from '../../generated/prisma/enums.js';

/** The authenticated caller, taken from a verified access token. */
export interface AuthUser {
  id: string;
  role: Role;
  /** The session (refresh token family) the access token was issued for; absent in older tokens. */
  sessionId?: string;
}

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  typ: 'access';
  /** The session's refresh token family, so that logout needs only the access token. */
  sid?: string;
  iat?: number;
}

export interface RefreshTokenClaims {
  sub: string;
  typ: 'refresh';
  /** The refresh_tokens row id: rotation and reuse detection happen on that row. */
  jti: string;
  /** The session (family); absent in tokens issued before sessions were named in tokens. */
  sid?: string;
  iat?: number;
}
