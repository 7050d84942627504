import type { Role } from '../../generated/prisma/enums.js';

/** The authenticated caller, taken from a verified access token. */
export interface AuthUser {
  id: string;
  role: Role;
}

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  typ: 'access';
}

export interface RefreshTokenClaims {
  sub: string;
  typ: 'refresh';
  /** The refresh_tokens row id: rotation and reuse detection happen on that row. */
  jti: string;
}
