import { JwtService } from '@nestjs/jwt';
import { fake } from '../../test/fakes/fake.js';
import { FAKE_PRISMA, FakeTransactionRunner } from '../../test/fakes/fake-transaction-runner.js';
import { FakePasswordHasher } from '../../test/fakes/fake-password-hasher.js';
import { InMemoryAuthRepository } from '../../test/fakes/in-memory-auth.repository.js';
import { testConfig } from '../../test/fakes/test-config.js';
import type { TransactionRunner } from '../prisma/transaction-runner.js';
import {
  EmailAlreadyRegisteredError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenOfAnotherUserError,
  RefreshTokenReusedError,
} from './auth.errors.js';
import type { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { AuthTokens, hashRefreshToken } from './auth-tokens.js';
import type { PasswordHasher } from './password-hasher.js';

const PASSWORD = 'correct horse battery';
const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string; role: string };

describe(AuthService.name, () => {
  let repo: InMemoryAuthRepository;
  let passwords: FakePasswordHasher;
  let sut: AuthService;

  beforeEach(() => {
    repo = new InMemoryAuthRepository();
    passwords = new FakePasswordHasher();
    const config = testConfig({ ADMIN_EMAILS: 'boss@example.com', JWT_REFRESH_TTL: 3600 });
    sut = new AuthService(
      FAKE_PRISMA,
      fake<TransactionRunner>(new FakeTransactionRunner()),
      fake<AuthRepository>(repo),
      fake<PasswordHasher>(passwords),
      new AuthTokens(new JwtService({}), config),
      config,
    );
  });

  const familyOf = (refreshToken: string) => repo.refreshTokens.get(claimsOf(refreshToken).jti)!.familyId;

  describe('register', () => {
    it('stores the password hash and only a hash of the refresh token', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);

      expect(repo.users.get(session.userId)).toMatchObject({
        email: 'ann@example.com',
        passwordHash: `fake$${PASSWORD}`,
        role: 'USER',
      });
      const stored = repo.refreshTokens.get(claimsOf(session.refreshToken).jti)!;
      expect(stored.tokenHash).toBe(hashRefreshToken(session.refreshToken));
      expect(stored.tokenHash).not.toContain(session.refreshToken);
    });

    it('gives ADMIN to an email listed in ADMIN_EMAILS', async () => {
      const session = await sut.register('boss@example.com', PASSWORD);
      expect(claimsOf(session.accessToken).role).toBe('ADMIN');
    });

    it('refuses a taken email', async () => {
      await sut.register('ann@example.com', PASSWORD);
      await expect(sut.register('ann@example.com', 'other password')).rejects.toBeInstanceOf(
        EmailAlreadyRegisteredError,
      );
      expect(repo.users.size).toBe(1);
    });
  });

  describe('login', () => {
    it('still runs the password check for an unknown email, so it takes as long as a wrong password', async () => {
      await expect(sut.login('nobody@example.com', PASSWORD)).rejects.toBeInstanceOf(InvalidCredentialsError);
      expect(passwords.verifiedAgainst).toEqual([undefined]);
    });

    it('refuses a wrong password with the same error as an unknown email', async () => {
      await sut.register('ann@example.com', PASSWORD);
      await expect(sut.login('ann@example.com', 'wrong password')).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
    });

    it('starts a new session family on each login', async () => {
      const registered = await sut.register('ann@example.com', PASSWORD);
      const login = await sut.login('ann@example.com', PASSWORD);
      expect(login.userId).toBe(registered.userId);
      expect(familyOf(login.refreshToken)).not.toBe(familyOf(registered.refreshToken));
    });
  });

  describe('rotateRefreshToken', () => {
    it('replaces the token with a new one in the same family', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);

      const pair = await sut.rotateRefreshToken(session.refreshToken);

      expect(familyOf(pair.refreshToken)).toBe(familyOf(session.refreshToken));
      expect(repo.refreshTokens.get(claimsOf(session.refreshToken).jti)!.rotatedAtMs).not.toBeNull();
      await expect(sut.rotateRefreshToken(pair.refreshToken)).resolves.toBeDefined();
    });

    it('revokes the whole family when a rotated token comes back, and only that family', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);
      const otherSession = await sut.login('ann@example.com', PASSWORD);
      const pair = await sut.rotateRefreshToken(session.refreshToken);

      await expect(sut.rotateRefreshToken(session.refreshToken)).rejects.toBeInstanceOf(
        RefreshTokenReusedError,
      );

      expect(repo.family(familyOf(session.refreshToken)).every((token) => token.revokedAtMs !== null)).toBe(
        true,
      );
      await expect(sut.rotateRefreshToken(pair.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      await expect(sut.rotateRefreshToken(otherSession.refreshToken)).resolves.toBeDefined();
    });

    it('refuses a token of a logged-out session without calling it reuse', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);
      await sut.logout(session.userId, session.refreshToken);

      await expect(sut.rotateRefreshToken(session.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses a live token whose family has a revoked member', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);
      const pair = await sut.rotateRefreshToken(session.refreshToken);
      // A token minted by a rotation that raced with the family's revocation.
      repo.refreshTokens.get(claimsOf(session.refreshToken).jti)!.revokedAtMs = 1;

      await expect(sut.rotateRefreshToken(pair.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses a token whose row has expired on the database clock', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);
      repo.advanceSeconds(3600);

      await expect(sut.rotateRefreshToken(session.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses an access token', async () => {
      const session = await sut.register('ann@example.com', PASSWORD);
      await expect(sut.rotateRefreshToken(session.accessToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });
  });

  describe('logout', () => {
    it("refuses another user's refresh token and revokes nothing", async () => {
      const ann = await sut.register('ann@example.com', PASSWORD);
      const bob = await sut.register('bob@example.com', PASSWORD);

      await expect(sut.logout(ann.userId, bob.refreshToken)).rejects.toBeInstanceOf(
        RefreshTokenOfAnotherUserError,
      );
      expect([...repo.refreshTokens.values()].every((token) => token.revokedAtMs === null)).toBe(true);
    });
  });
});
