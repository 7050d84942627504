import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { Role } from '../generated/prisma/enums.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { TransactionRunner, type Tx } from '../prisma/transaction-runner.js';
import { AuthRepository, type AccountRow } from './auth.repository.js';
import { AuthTokens, hashRefreshToken } from './auth-tokens.js';
import {
  AccountNotFoundError,
  EmailAlreadyRegisteredError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenOfAnotherUserError,
  RefreshTokenReusedError,
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
 * Accounts and sessions. A session is a family of refresh tokens: each refresh replaces
 * the presented token with a new one in the same family, and presenting a replaced token
 * again revokes the whole family.
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
    private readonly config: AppConfig,
  ) {}

  /** `email` is already trimmed and lower-cased by the DTO. */
  async register(email: string, password: string): Promise<Session> {
    // Hash before the transaction: scrypt takes a few hundred milliseconds and holds no locks.
    const passwordHash = await this.passwords.hash(password);
    const role = this.config.adminEmails.has(email) ? Role.ADMIN : Role.USER;
    return this.transactions.run(async (tx) => {
      const account = await this.repo.insertUserUnlessEmailTaken(tx, { email, passwordHash, role });
      if (!account) throw new EmailAlreadyRegisteredError();
      return this.startSession(tx, account);
    });
  }

  async login(email: string, password: string): Promise<Session> {
    const account = await this.repo.findUserByEmail(this.prisma, email);
    const passwordMatches = await this.passwords.verify(password, account?.passwordHash);
    if (!account || !passwordMatches) throw new InvalidCredentialsError();
    return this.startSession(this.prisma, account);
  }

  async rotateRefreshToken(refreshToken: string): Promise<TokenPair> {
    const claims = await this.tokens.verifyRefreshToken(refreshToken);
    const tokenHash = hashRefreshToken(refreshToken);
    const pair = await this.transactions.run(async (tx) => {
      const rotated = await this.repo.markRefreshTokenRotated(tx, claims.jti, tokenHash);
      if (!rotated) return null;
      return {
        accessToken: await this.tokens.signAccessToken(rotated.userId, rotated.role),
        refreshToken: await this.issueRefreshToken(tx, rotated.userId, rotated.familyId),
      };
    });
    if (pair) return pair;

    // Outside the transaction: the revocation must commit even though the request fails.
    const stored = await this.repo.findRefreshToken(this.prisma, claims.jti, tokenHash);
    if (stored?.rotatedAt) {
      await this.repo.revokeFamily(this.prisma, stored.familyId);
      this.logger.warn(
        `Refresh token reused by user ${claims.sub}; revoked session family ${stored.familyId}`,
      );
      throw new RefreshTokenReusedError();
    }
    throw new InvalidRefreshTokenError();
  }

  /** Ends the session `refreshToken` belongs to. Idempotent: an ended or expired session is fine. */
  async logout(userId: string, refreshToken: string): Promise<void> {
    // An expired token still names its family, whose newer tokens may be live.
    const claims = await this.tokens.verifyRefreshToken(refreshToken, { ignoreExpiration: true });
    if (claims.sub !== userId) throw new RefreshTokenOfAnotherUserError();
    await this.repo.revokeFamilyOfToken(this.prisma, userId, claims.jti, hashRefreshToken(refreshToken));
  }

  async findAccount(userId: string): Promise<AccountRow> {
    const account = await this.repo.findUserById(this.prisma, userId);
    if (!account) throw new AccountNotFoundError();
    return account;
  }

  private async startSession(tx: Tx, account: AccountRow): Promise<Session> {
    return {
      userId: account.id,
      accessToken: await this.tokens.signAccessToken(account.id, account.role),
      refreshToken: await this.issueRefreshToken(tx, account.id, randomUUID()),
    };
  }

  private async issueRefreshToken(tx: Tx, userId: string, familyId: string): Promise<string> {
    const id = randomUUID();
    const token = await this.tokens.signRefreshToken(userId, id);
    await this.repo.insertRefreshToken(tx, {
      id,
      userId,
      familyId,
      tokenHash: hashRefreshToken(token),
      ttlSeconds: this.config.jwt.refreshTtlSeconds,
    });
    return token;
  }
}
