import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import type { AccessTokenClaims, RefreshTokenClaims } from '../common/auth/auth-user.js';
import { asVerifyKey } from '../common/auth/verify-key.js';
import { AppConfig } from '../config/app-config.js';
import { Role } from '../generated/prisma/enums.js';
import { InvalidRefreshTokenError } from './auth.errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the database keeps of a refresh token: a leaked table cannot be replayed. */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Signs and checks the two JWT kinds. Each kind has its own secret and `typ`, so an access
 * token is never accepted as a refresh token, nor the other way round.
 */
@Injectable()
export class AuthTokens {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  /**
   * `sessionId` names the refresh token family, so that logout needs only this token. With
   * `issuedAt` (seconds) the same arguments always sign the same token: a refresh replayed within
   * the grace period gets exactly the pair it was first given.
   */
  signAccessToken(userId: string, role: Role, sessionId?: string, issuedAt?: number): Promise<string> {
    const claims: AccessTokenClaims = {
      sub: userId,
      role,
      typ: 'access',
      ...(sessionId === undefined ? {} : { sid: sessionId }),
      ...(issuedAt === undefined ? {} : { iat: issuedAt }),
    };
    return this.jwt.signAsync(claims, {
      privateKey: this.config.jwt.accessKey,
      algorithm: 'HS256',
      expiresIn: this.config.jwt.accessTtlSeconds,
    });
  }

  /** `tokenId` is the refresh_tokens row that tracks this token's rotation; `sessionId` its family. */
  signRefreshToken(userId: string, tokenId: string, sessionId: string, issuedAt: number): Promise<string> {
    const claims: RefreshTokenClaims = {
      sub: userId,
      typ: 'refresh',
      jti: tokenId,
      sid: sessionId,
      iat: issuedAt,
    };
    return this.jwt.signAsync(claims, {
      privateKey: this.config.jwt.refreshKey,
      algorithm: 'HS256',
      expiresIn: this.config.jwt.refreshTtlSeconds,
    });
  }

  /** Throws InvalidRefreshTokenError for anything but a well-formed refresh token we signed. */
  async verifyRefreshToken(
    token: string,
    options: { ignoreExpiration?: boolean } = {},
  ): Promise<RefreshTokenClaims> {
    const claims = await this.jwt
      .verifyAsync<Partial<RefreshTokenClaims>>(token, {
        publicKey: asVerifyKey(this.config.jwt.refreshKey),
        algorithms: ['HS256'],
        ignoreExpiration: options.ignoreExpiration ?? false,
      })
      .catch(() => undefined);
    if (
      claims?.typ !== 'refresh' ||
      typeof claims.sub !== 'string' ||
      typeof claims.jti !== 'string' ||
      !UUID.test(claims.jti)
    ) {
      throw new InvalidRefreshTokenError();
    }
    const sid = typeof claims.sid === 'string' && UUID.test(claims.sid) ? { sid: claims.sid } : {};
    return { sub: claims.sub, typ: 'refresh', jti: claims.jti, ...sid };
  }
}
