import type { SqlQuery } from '../../src/prisma/prisma.service.js';
import { randomUUID } from 'node:crypto';
import type {
  AccountRow,
  AccountWithPasswordRow,
  AuthRepository,
  NewRefreshToken,
  RotatedRefreshTokenRow,
  SpentRefreshTokenRow,
} from '../../src/auth/auth.repository.js';
import type { Role } from '../../src/generated/prisma/enums.js';
import type { Tx } from '../../src/prisma/transaction-runner.js';
import type { PublicOf } from './fake.js';

export interface StoredRefreshToken {
  id: string;
  userId: string;
  familyId: string;
  tokenHash: string;
  issuedAt: number;
  expiresAtMs: number;
  rotatedAtMs: number | null;
  replacedById: string | null;
  revokedAtMs: number | null;
}

/** users and refresh_tokens in memory, with a clock the test moves (the real one reads the database clock). */
export class InMemoryAuthRepository implements PublicOf<AuthRepository> {
  readonly users = new Map<string, AccountWithPasswordRow>();
  readonly refreshTokens = new Map<string, StoredRefreshToken>();
  private nowMs = Date.parse('2025-01-01T10:00:00Z');

  advanceSeconds(seconds: number): void {
    this.nowMs += seconds * 1000;
  }

  family(familyId: string): StoredRefreshToken[] {
    return [...this.refreshTokens.values()].filter((token) => token.familyId === familyId);
  }

  async insertUserUnlessEmailTaken(
    _tx: Tx,
    user: { email: string; passwordHash: string; role: Role },
  ): Promise<AccountRow | null> {
    if ([...this.users.values()].some((existing) => existing.email === user.email)) return null;
    const row = { id: randomUUID(), ...user };
    this.users.set(row.id, row);
    return { id: row.id, email: row.email, role: row.role };
  }

  async emailExists(_tx: Tx, email: string): Promise<boolean> {
    return [...this.users.values()].some((user) => user.email === email);
  }

  async replacePasswordHash(_tx: Tx, userId: string, oldHash: string, newHash: string): Promise<void> {
    const user = this.users.get(userId);
    if (user?.passwordHash === oldHash) user.passwordHash = newHash;
  }

  async findUserByEmail(email: string): Promise<AccountWithPasswordRow | null> {
    return [...this.users.values()].find((user) => user.email === email) ?? null;
  }

  async findUserById(_tx: Tx, id: string): Promise<AccountRow | null> {
    const user = this.users.get(id);
    return user ? { id: user.id, email: user.email, role: user.role } : null;
  }

  async insertRefreshToken(_query: SqlQuery, token: NewRefreshToken): Promise<void> {
    const { ttlSeconds, ...fields } = token;
    this.refreshTokens.set(token.id, {
      ...fields,
      expiresAtMs: this.nowMs + ttlSeconds * 1000,
      rotatedAtMs: null,
      replacedById: null,
      revokedAtMs: null,
    });
  }

  async markRefreshTokenRotated(
    _tx: Tx,
    id: string,
    tokenHash: string,
    successorId: string,
  ): Promise<RotatedRefreshTokenRow | null> {
    const token = this.refreshTokens.get(id);
    const user = token && this.users.get(token.userId);
    if (!token || !user || token.tokenHash !== tokenHash) return null;
    if (token.rotatedAtMs !== null || token.revokedAtMs !== null || token.expiresAtMs <= this.nowMs)
      return null;
    if (this.family(token.familyId).some((member) => member.revokedAtMs !== null)) return null;
    token.rotatedAtMs = this.nowMs;
    token.replacedById = successorId;
    return { userId: token.userId, familyId: token.familyId, role: user.role };
  }

  async findSpentRefreshToken(
    _tx: Tx,
    id: string,
    tokenHash: string,
    graceSeconds: number,
  ): Promise<SpentRefreshTokenRow | null> {
    const token = this.refreshTokens.get(id);
    const user = token && this.users.get(token.userId);
    if (!token || !user || token.tokenHash !== tokenHash) return null;
    const successor = token.replacedById === null ? undefined : this.refreshTokens.get(token.replacedById);
    return {
      familyId: token.familyId,
      userId: token.userId,
      role: user.role,
      rotated: token.rotatedAtMs !== null,
      withinGrace: token.rotatedAtMs !== null && token.rotatedAtMs > this.nowMs - graceSeconds * 1000,
      familyRevoked: this.family(token.familyId).some((member) => member.revokedAtMs !== null),
      successor:
        successor && successor.expiresAtMs > this.nowMs
          ? { id: successor.id, issuedAt: successor.issuedAt }
          : null,
    };
  }

  async revokeFamily(_tx: Tx, familyId: string): Promise<void> {
    for (const token of this.family(familyId)) token.revokedAtMs ??= this.nowMs;
  }

  async revokeFamilyOfToken(_tx: Tx, userId: string, id: string, tokenHash: string): Promise<void> {
    const token = this.refreshTokens.get(id);
    if (token && token.tokenHash === tokenHash && token.userId === userId)
      await this.revokeFamily(_tx, token.familyId);
  }

  async revokeFamilyOfUser(_tx: Tx, userId: string, familyId: string): Promise<void> {
    for (const token of this.family(familyId)) if (token.userId === userId) token.revokedAtMs ??= this.nowMs;
  }
}
