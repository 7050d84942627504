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
  RateLimitedError,
  RefreshTokenReusedError,
  SessionNotNamedError,
} from './auth.errors.js';
import type { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { AuthLimits } from './auth-limits.js';
import { AuthTokens, hashRefreshToken } from './auth-tokens.js';
import type { PasswordHasher } from './password-hasher.js';

const PASSWORD = 'correct horse battery';
const IP = '198.51.100.7';
const claimsOf = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string; role: string };

describe(AuthService.name, () => {
  let repo: InMemoryAuthRepository;
  let passwords: FakePasswordHasher;
  let sut: AuthService;

  beforeEach(() => {
    repo = new InMemoryAuthRepository();
    passwords = new FakePasswordHasher();
    const config = testConfig({ JWT_REFRESH_TTL: 3600, REFRESH_REUSE_GRACE_SECONDS: 30 });
    sut = new AuthService(
      FAKE_PRISMA,
      fake<TransactionRunner>(new FakeTransactionRunner()),
      fake<AuthRepository>(repo),
      fake<PasswordHasher>(passwords),
      new AuthTokens(new JwtService({}), config),
      new AuthLimits(config),
      config,
    );
  });

  const familyOf = (refreshToken: string) => repo.refreshTokens.get(claimsOf(refreshToken).jti)!.familyId;

  describe('register', () => {
    it('stores the password hash and only a hash of the refresh token', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);

      expect(repo.users.get(session.userId)).toMatchObject({
        email: 'ann@example.com',
        passwordHash: `fake$${PASSWORD}`,
        role: 'USER',
      });
      const stored = repo.refreshTokens.get(claimsOf(session.refreshToken).jti)!;
      expect(stored.tokenHash).toBe(hashRefreshToken(session.refreshToken));
      expect(stored.tokenHash).not.toContain(session.refreshToken);
    });

    it('never grants ADMIN, whatever the email', async () => {
      const session = await sut.register('admin@example.com', PASSWORD, IP);
      expect(claimsOf(session.accessToken).role).toBe('USER');
      expect(repo.users.get(session.userId)!.role).toBe('USER');
    });

    it('refuses a taken email without hashing the password', async () => {
      await sut.register('ann@example.com', PASSWORD, IP);
      const hashedBefore = passwords.hashed;
      await expect(sut.register('ann@example.com', 'other password', IP)).rejects.toBeInstanceOf(
        EmailAlreadyRegisteredError,
      );
      expect(passwords.hashed).toBe(hashedBefore);
      expect(repo.users.size).toBe(1);
    });
  });

  describe('login', () => {
    it('still runs the password check for an unknown email, so it takes as long as a wrong password', async () => {
      await expect(sut.login('nobody@example.com', PASSWORD, IP)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
      expect(passwords.verifiedAgainst).toEqual([undefined]);
    });

    it('refuses a wrong password with the same error as an unknown email', async () => {
      await sut.register('ann@example.com', PASSWORD, IP);
      await expect(sut.login('ann@example.com', 'wrong password', IP)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
    });

    it('replaces an older hash after a successful login, and keeps it after a failed one', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      repo.users.get(session.userId)!.passwordHash = `old$${PASSWORD}`;

      await expect(sut.login('ann@example.com', 'wrong password', IP)).rejects.toBeInstanceOf(
        InvalidCredentialsError,
      );
      expect(repo.users.get(session.userId)!.passwordHash).toBe(`old$${PASSWORD}`);
      await sut.login('ann@example.com', PASSWORD, IP);
      expect(repo.users.get(session.userId)!.passwordHash).toBe(`fake$${PASSWORD}`);
    });

    it('refuses the 11th failed login for one email within a minute, but not logins of others', async () => {
      await sut.register('ann@example.com', PASSWORD, IP);
      for (let i = 0; i < 10; i++) {
        await expect(sut.login('ann@example.com', 'wrong password', `203.0.113.${i}`)).rejects.toBeInstanceOf(
          InvalidCredentialsError,
        );
      }
      await expect(sut.login('ann@example.com', PASSWORD, '203.0.113.99')).rejects.toBeInstanceOf(
        RateLimitedError,
      );
      await sut.register('bob@example.com', PASSWORD, IP);
      await expect(sut.login('bob@example.com', PASSWORD, IP)).resolves.toBeDefined();
    });

    it('starts a new session family on each login', async () => {
      const registered = await sut.register('ann@example.com', PASSWORD, IP);
      const login = await sut.login('ann@example.com', PASSWORD, IP);
      expect(login.userId).toBe(registered.userId);
      expect(familyOf(login.refreshToken)).not.toBe(familyOf(registered.refreshToken));
    });
  });

  describe('rotateRefreshToken', () => {
    it('replaces the token with a new one in the same family', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);

      const pair = await sut.rotateRefreshToken(session.refreshToken);

      expect(familyOf(pair.refreshToken)).toBe(familyOf(session.refreshToken));
      expect(repo.refreshTokens.get(claimsOf(session.refreshToken).jti)!.rotatedAtMs).not.toBeNull();
      await expect(sut.rotateRefreshToken(pair.refreshToken)).resolves.toBeDefined();
    });

    it('answers a rotated token presented again within the grace with the same successor pair', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      const pair = await sut.rotateRefreshToken(session.refreshToken);
      repo.advanceSeconds(29);

      await expect(sut.rotateRefreshToken(session.refreshToken)).resolves.toEqual(pair);
      expect(repo.family(familyOf(session.refreshToken)).every((token) => token.revokedAtMs === null)).toBe(
        true,
      );
    });

    it('puts the role of the moment into the refreshed access token', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      repo.users.get(session.userId)!.role = 'ADMIN';
      const promoted = await sut.rotateRefreshToken(session.refreshToken);
      expect(claimsOf(promoted.accessToken).role).toBe('ADMIN');

      repo.users.get(session.userId)!.role = 'USER';
      const demoted = await sut.rotateRefreshToken(promoted.refreshToken);
      expect(claimsOf(demoted.accessToken).role).toBe('USER');
    });

    it('limits refreshes per session', async () => {
      const config = testConfig({ REFRESHES_PER_SESSION_PER_MINUTE: 2 });
      const limits = new AuthLimits(config);
      limits.refresh('family');
      limits.refresh('family');
      expect(() => limits.refresh('family')).toThrow(RateLimitedError);
      expect(() => limits.refresh('another family')).not.toThrow();
    });

    it('revokes the whole family when a rotated token comes back after the grace, and only that family', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      const otherSession = await sut.login('ann@example.com', PASSWORD, IP);
      const pair = await sut.rotateRefreshToken(session.refreshToken);
      repo.advanceSeconds(31);

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
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      await sut.logout({ id: session.userId, role: 'USER' }, session.refreshToken);

      await expect(sut.rotateRefreshToken(session.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses a live token whose family has a revoked member', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      const pair = await sut.rotateRefreshToken(session.refreshToken);
      // A token minted by a rotation that raced with the family's revocation.
      repo.refreshTokens.get(claimsOf(session.refreshToken).jti)!.revokedAtMs = 1;

      await expect(sut.rotateRefreshToken(pair.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses a token whose row has expired on the database clock', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      repo.advanceSeconds(3600);

      await expect(sut.rotateRefreshToken(session.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });

    it('refuses an access token', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      await expect(sut.rotateRefreshToken(session.accessToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
    });
  });

  describe('logout', () => {
    it("ends the access token's own session when no refresh token is given, and no other", async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      const otherDevice = await sut.login('ann@example.com', PASSWORD, IP);
      const sessionId = (claimsOf(session.accessToken) as unknown as { sid: string }).sid;
      expect(sessionId).toBe(familyOf(session.refreshToken));

      await sut.logout({ id: session.userId, role: 'USER', sessionId });

      await expect(sut.rotateRefreshToken(session.refreshToken)).rejects.toBeInstanceOf(
        InvalidRefreshTokenError,
      );
      await expect(sut.rotateRefreshToken(otherDevice.refreshToken)).resolves.toBeDefined();
    });

    it('asks for the refresh token when an older access token names no session', async () => {
      const session = await sut.register('ann@example.com', PASSWORD, IP);
      await expect(sut.logout({ id: session.userId, role: 'USER' })).rejects.toBeInstanceOf(
        SessionNotNamedError,
      );
    });

    it("refuses another user's refresh token and revokes nothing", async () => {
      const ann = await sut.register('ann@example.com', PASSWORD, IP);
      const bob = await sut.register('bob@example.com', PASSWORD, IP);

      await expect(sut.logout({ id: ann.userId, role: 'USER' }, bob.refreshToken)).rejects.toBeInstanceOf(
        RefreshTokenOfAnotherUserError,
      );
      expect([...repo.refreshTokens.values()].every((token) => token.revokedAtMs === null)).toBe(true);
    });
  });
});
