import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Role } from '../generated/prisma/enums.js';
import { PrismaService, queryIn } from '../prisma/prisma.service.js';
import { TransactionRunner, type Db } from '../prisma/transaction-runner.js';
import type { AuthUser } from '../common/auth/auth-user.js';
import { AuthLimits } from './auth-limits.js';
import { AuthRepository, type AccountRow, type AccountWithPasswordRow } from './auth.repository.js';
import { AuthTokens, hashRefreshToken } from './auth-tokens.js';
import {
  AccountNotFoundError,
  EmailAlreadyRegisteredError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenOfAnotherUserError,
  RefreshTokenReusedError,
  SessionNotNamedError,
} from './auth.errors.js';
import { PasswordHasher } from './password-hasher.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface Session extends TokenPair {
  userId: string;
}

/**
 * Accounts and sessions. A session is a family of refresh tokens, named in both tokens (`sid`):
 * each refresh replaces the presented token with a new one in the same family. The replaced
 * token presented again within the grace period gets the same new pair (two taps, one answer);
 * after it, it revokes the whole family.
 */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly prisma: PrismaService,
    private readonly transactions: TransactionRunner,
    private readonly repo: AuthRepository,
    private readonly passwords: PasswordHasher,
    private readonly tokens: AuthTokens,
    private readonly limits: AuthLimits,
    private readonly config: AppConfig,
  ) {}

  /** `email` is already trimmed and lower-cased by the DTO. Never grants ADMIN: operators do (admin CLI). */
  async register(email: string, password: string, clientIp: string): Promise<Session> {
    this.limits.registration(clientIp);
    // A taken email costs no hash; the insert below still settles a race between two registrations.
    if (await this.repo.emailExists(this.prisma, email)) throw new EmailAlreadyRegisteredError();
    // Hash before the transaction: it takes tens of milliseconds and holds no locks.
    const passwordHash = await this.passwords.hash(password);
    return this.transactions.run(async (tx) => {
      const account = await this.repo.insertUserUnlessEmailTaken(tx, {
        email,
        passwordHash,
        role: Role.USER,
      });
      if (!account) throw new EmailAlreadyRegisteredError();
      return this.startSession(tx, account);
    });
  }

  async login(email: string, password: string, clientIp: string): Promise<Session> {
    const attempt = this.limits.beginLogin(email, clientIp);
    const account = await this.repo.findUserByEmail(email);
    const passwordMatches = await this.passwords.verify(password, account?.passwordHash);
    if (!account || !passwordMatches) throw new InvalidCredentialsError();
    attempt.succeeded();
    if (this.passwords.needsRehash(account.passwordHash)) await this.rehash(account, password);
    return this.startSession(undefined, account);
  }

  async rotateRefreshToken(refreshToken: string): Promise<TokenPair> {
    const claims = await this.tokens.verifyRefreshToken(refreshToken);
    this.limits.refresh(claims.sid ?? claims.jti);
    const tokenHash = hashRefreshToken(refreshToken);
    const successorId = randomUUID();
    const pair = await this.transactions.run(async (tx) => {
      const rotated = await this.repo.markRefreshTokenRotated(tx, claims.jti, tokenHash, successorId);
      if (!rotated) return null;
      return this.issuePair(tx, rotated.userId, rotated.role, rotated.familyId, successorId);
    });
    if (pair) return pair;

    // Not rotated by this request. The losers of a race waited for the winner's commit, so they see its successor.
    const spent = await this.repo.findSpentRefreshToken(
      this.prisma,
      claims.jti,
      tokenHash,
      this.config.refreshReuseGraceSeconds,
    );
    if (!spent?.rotated || spent.familyRevoked) throw new InvalidRefreshTokenError();
    if (spent.withinGrace && spent.successor) {
      const { id, issuedAt } = spent.successor;
      return {
        accessToken: await this.tokens.signAccessToken(spent.userId, spent.role, spent.familyId, issuedAt),
        refreshToken: await this.tokens.signRefreshToken(spent.userId, id, spent.familyId, issuedAt),
      };
    }
    // Outside any transaction: the revocation must commit even though the request fails.
    await this.repo.revokeFamily(this.prisma, spent.familyId);
    this.logger.warn(`Refresh token reused by user ${claims.sub}; revoked session family ${spent.familyId}`);
    throw new RefreshTokenReusedError();
  }

  /**
   * Ends a session: the one named by `refreshToken` when given, else the caller's own (the access
   * token's `sid`). Idempotent: an ended or expired session is fine.
   */
  async logout(user: AuthUser, refreshToken?: string): Promise<void> {
    if (refreshToken === undefined) {
      if (!user.sessionId) throw new SessionNotNamedError();
      await this.repo.revokeFamilyOfUser(this.prisma, user.id, user.sessionId);
      return;
    }
    // An expired token still names its family, whose newer tokens may be live.
    const claims = await this.tokens.verifyRefreshToken(refreshToken, { ignoreExpiration: true });
    if (claims.sub !== user.id) throw new RefreshTokenOfAnotherUserError();
    await this.repo.revokeFamilyOfToken(this.prisma, user.id, claims.jti, hashRefreshToken(refreshToken));
  }

  async findAccount(userId: string): Promise<AccountRow> {
    const account = await this.repo.findUserById(this.prisma, userId);
    if (!account) throw new AccountNotFoundError();
    return account;
  }

  /** An older hash (scrypt, or weaker argon2id) is replaced now that the password is known. */
  private async rehash(account: AccountWithPasswordRow, password: string): Promise<void> {
    const newHash = await this.passwords.hash(password);
    await this.repo.replacePasswordHash(this.prisma, account.id, account.passwordHash, newHash);
  }

  /** Without `tx`, the session's first token commits on its own. */
  private startSession(tx: Db | undefined, account: AccountRow): Promise<Session> {
    return this.issuePair(tx, account.id, account.role, randomUUID(), randomUUID()).then((pair) => ({
      userId: account.id,
      ...pair,
    }));
  }

  /** A new refresh token `tokenId` in family `familyId`, and an access token naming the same session. */
  private async issuePair(
    tx: Db | undefined,
    userId: string,
    role: Role,
    familyId: string,
    tokenId: string,
  ): Promise<TokenPair> {
    const issuedAt = Math.floor(Date.now() / 1000);
    const refreshToken = await this.tokens.signRefreshToken(userId, tokenId, familyId, issuedAt);
    const token = {
      id: tokenId,
      userId,
      familyId,
      tokenHash: hashRefreshToken(refreshToken),
      issuedAt,
      ttlSeconds: this.config.jwt.refreshTtlSeconds,
    };
    await this.repo.insertRefreshToken(tx ? queryIn(tx) : this.prisma.poolQuery, token);
    return { accessToken: await this.tokens.signAccessToken(userId, role, familyId, issuedAt), refreshToken };
  }
}
