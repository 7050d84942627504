import { Injectable } from '@nestjs/common';
import { Role } from '../generated/prisma/enums.js';
import type { Tx } from '../prisma/transaction-runner.js';

export interface AccountRow {
  id: string;
  email: string;
  role: Role;
}

export interface AccountWithPasswordRow extends AccountRow {
  passwordHash: string;
}

export interface RotatedRefreshTokenRow {
  userId: string;
  familyId: string;
  role: Role;
}

export interface NewRefreshToken {
  id: string;
  userId: string;
  familyId: string;
  tokenHash: string;
  ttlSeconds: number;
}

@Injectable()
export class AuthRepository {
  /** Null when the email is taken, including by a concurrent registration that commits first. */
  async insertUserUnlessEmailTaken(
    tx: Tx,
    user: { email: string; passwordHash: string; role: Role },
  ): Promise<AccountRow | null> {
    const rows = await tx.$queryRaw<AccountRow[]>`
      INSERT INTO users (email, password_hash, role)
      VALUES (${user.email}, ${user.passwordHash}, ${user.role}::"Role")
      ON CONFLICT (email) DO NOTHING
      RETURNING id, email, role`;
    return rows[0] ?? null;
  }

  findUserByEmail(tx: Tx, email: string): Promise<AccountWithPasswordRow | null> {
    return tx.user.findUnique({
      where: { email },
      select: { id: true, email: true, role: true, passwordHash: true },
    });
  }

  findUserById(tx: Tx, id: string): Promise<AccountRow | null> {
    return tx.user.findUnique({ where: { id }, select: { id: true, email: true, role: true } });
  }

  /** Expiry is read against the database clock, like every other expiry in the system. */
  async insertRefreshToken(tx: Tx, token: NewRefreshToken): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at)
      VALUES (${token.id}::uuid, ${token.userId}::uuid, ${token.familyId}::uuid, ${token.tokenHash},
              clock_timestamp() + make_interval(secs => ${token.ttlSeconds}::int))`;
  }

  /**
   * Marks a live token rotated and returns who it belongs to, or null when it is not live.
   * Postgres re-checks the WHERE after taking the row lock, so of two concurrent calls for
   * the same token exactly one gets the row. A family with any revoked row is dead: that
   * catches a token minted by a rotation that raced with the family's revocation.
   */
  async markRefreshTokenRotated(
    tx: Tx,
    id: string,
    tokenHash: string,
  ): Promise<RotatedRefreshTokenRow | null> {
    const rows = await tx.$queryRaw<RotatedRefreshTokenRow[]>`
      UPDATE refresh_tokens AS t
      SET rotated_at = clock_timestamp()
      FROM users AS u
      WHERE t.id = ${id}::uuid
        AND t.token_hash = ${tokenHash}
        AND u.id = t.user_id
        AND t.rotated_at IS NULL
        AND t.revoked_at IS NULL
        AND t.expires_at > clock_timestamp()
        AND NOT EXISTS (SELECT 1 FROM refresh_tokens AS f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL)
      RETURNING t.user_id AS "userId", t.family_id AS "familyId", u.role`;
    return rows[0] ?? null;
  }

  findRefreshToken(
    tx: Tx,
    id: string,
    tokenHash: string,
  ): Promise<{ familyId: string; rotatedAt: Date | null } | null> {
    return tx.refreshToken.findFirst({
      where: { id, tokenHash },
      select: { familyId: true, rotatedAt: true },
    });
  }

  async revokeFamily(tx: Tx, familyId: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE refresh_tokens SET revoked_at = clock_timestamp()
      WHERE family_id = ${familyId}::uuid AND revoked_at IS NULL`;
  }

  /** Revokes the family of the given token, only if that token belongs to `userId`. */
  async revokeFamilyOfToken(tx: Tx, userId: string, id: string, tokenHash: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE refresh_tokens SET revoked_at = clock_timestamp()
      WHERE revoked_at IS NULL
        AND family_id = (SELECT family_id FROM refresh_tokens
                         WHERE id = ${id}::uuid AND token_hash = ${tokenHash} AND user_id = ${userId}::uuid)`;
  }
}
