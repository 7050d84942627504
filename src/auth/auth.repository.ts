import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client.js';
import { Role } from '../generated/prisma/enums.js';
import { PrismaService, type SqlQuery } from '../prisma/prisma.service.js';
import type { Db } from '../prisma/transaction-runner.js';

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
  /** The token's `iat` (seconds), kept as created_at so that the token can be signed again. */
  issuedAt: number;
  ttlSeconds: number;
}

/** A refresh token that could not be rotated, with what decides between a replay and reuse. */
export interface SpentRefreshTokenRow {
  familyId: string;
  userId: string;
  role: Role;
  rotated: boolean;
  /** Rotated within the grace period, by the database clock. */
  withinGrace: boolean;
  familyRevoked: boolean;
  /** The token its rotation issued, while that one has not expired. */
  successor: { id: string; issuedAt: number } | null;
}

/**
 * The sign-in path (`findUserByEmail`, `insertRefreshToken` with `poolQuery`) runs on the pool
 * under Prisma as named prepared statements (`PrismaService.poolQuery`): a login storm is bound by CPU, and through Prisma these two
 * statements cost about 1 ms of the event loop's CPU per login, directly a quarter of that
 * (docs/decisions.md). Everything inside a transaction still goes through Prisma's `tx`.
 */
@Injectable()
export class AuthRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Null when the email is taken, including by a concurrent registration that commits first. */
  async insertUserUnlessEmailTaken(
    tx: Db,
    user: { email: string; passwordHash: string; role: Role },
  ): Promise<AccountRow | null> {
    const rows = await tx.$queryRaw<AccountRow[]>`
      INSERT INTO users (email, password_hash, role)
      VALUES (${user.email}, ${user.passwordHash}, ${user.role}::"Role")
      ON CONFLICT (email) DO NOTHING
      RETURNING id, email, role`;
    return rows[0] ?? null;
  }

  async emailExists(tx: Db, email: string): Promise<boolean> {
    return (await tx.user.count({ where: { email } })) > 0;
  }

  /** Replaces a hash only if it is still the one that was verified (a concurrent change wins). */
  async replacePasswordHash(tx: Db, userId: string, oldHash: string, newHash: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE users SET password_hash = ${newHash}
      WHERE id = ${userId}::uuid AND password_hash = ${oldHash}`;
  }

  async findUserByEmail(email: string): Promise<AccountWithPasswordRow | null> {
    const rows = await this.prisma.poolQuery<AccountWithPasswordRow>(Prisma.sql`
      SELECT id, email, role, password_hash AS "passwordHash" FROM users WHERE email = ${email}`);
    return rows[0] ?? null;
  }

  findUserById(tx: Db, id: string): Promise<AccountRow | null> {
    return tx.user.findUnique({ where: { id }, select: { id: true, email: true, role: true } });
  }

  /**
   * Expiry is read against the database clock, like every other expiry in the system. A login's
   * only write runs on the pool (`poolQuery`); a refresh's in its transaction (`queryIn(tx)`).
   */
  async insertRefreshToken(query: SqlQuery, token: NewRefreshToken): Promise<void> {
    await query(Prisma.sql`
      INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
      VALUES (${token.id}::uuid, ${token.userId}::uuid, ${token.familyId}::uuid, ${token.tokenHash},
              to_timestamp(${token.issuedAt}::int),
              clock_timestamp() + make_interval(secs => ${token.ttlSeconds}::int))`);
  }

  /**
   * Marks a live token rotated, naming its successor, and returns who it belongs to (with the
   * role read now, so a revoked admin gets a USER token), or null when it is not live.
   * Postgres re-checks the WHERE after taking the row lock, so of two concurrent calls for
   * the same token exactly one gets the row. A family with any revoked row is dead: that
   * catches a token minted by a rotation that raced with the family's revocation.
   */
  async markRefreshTokenRotated(
    tx: Db,
    id: string,
    tokenHash: string,
    successorId: string,
  ): Promise<RotatedRefreshTokenRow | null> {
    const rows = await tx.$queryRaw<RotatedRefreshTokenRow[]>`
      UPDATE refresh_tokens AS t
      SET rotated_at = clock_timestamp(), replaced_by_id = ${successorId}::uuid
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

  async findSpentRefreshToken(
    tx: Db,
    id: string,
    tokenHash: string,
    graceSeconds: number,
  ): Promise<SpentRefreshTokenRow | null> {
    const rows = await tx.$queryRaw<
      (Omit<SpentRefreshTokenRow, 'successor'> & {
        successorId: string | null;
        successorIssuedAt: number | null;
      })[]
    >`
      SELECT t.family_id AS "familyId", t.user_id AS "userId", u.role,
             t.rotated_at IS NOT NULL AS rotated,
             coalesce(t.rotated_at > clock_timestamp() - make_interval(secs => ${graceSeconds}::int), false) AS "withinGrace",
             EXISTS (SELECT 1 FROM refresh_tokens AS f WHERE f.family_id = t.family_id AND f.revoked_at IS NOT NULL)
               AS "familyRevoked",
             s.id AS "successorId", extract(epoch FROM s.created_at)::int AS "successorIssuedAt"
      FROM refresh_tokens AS t
      JOIN users AS u ON u.id = t.user_id
      LEFT JOIN refresh_tokens AS s ON s.id = t.replaced_by_id AND s.expires_at > clock_timestamp()
      WHERE t.id = ${id}::uuid AND t.token_hash = ${tokenHash}`;
    const row = rows[0];
    if (!row) return null;
    const { successorId, successorIssuedAt, ...spent } = row;
    return {
      ...spent,
      successor: successorId === null ? null : { id: successorId, issuedAt: Number(successorIssuedAt) },
    };
  }

  async revokeFamily(tx: Db, familyId: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE refresh_tokens SET revoked_at = clock_timestamp()
      WHERE family_id = ${familyId}::uuid AND revoked_at IS NULL`;
  }

  /** Revokes the family of the given token, only if that token belongs to `userId`. */
  async revokeFamilyOfToken(tx: Db, userId: string, id: string, tokenHash: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE refresh_tokens SET revoked_at = clock_timestamp()
      WHERE revoked_at IS NULL
        AND family_id = (SELECT family_id FROM refresh_tokens
                         WHERE id = ${id}::uuid AND token_hash = ${tokenHash} AND user_id = ${userId}::uuid)`;
  }

  /** Ends one session of `userId`; a family of another user is left alone. */
  async revokeFamilyOfUser(tx: Db, userId: string, familyId: string): Promise<void> {
    await tx.$executeRaw`
      UPDATE refresh_tokens SET revoked_at = clock_timestamp()
      WHERE family_id = ${familyId}::uuid AND user_id = ${userId}::uuid AND revoked_at IS NULL`;
  }
}
