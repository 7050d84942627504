import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_SECRETS, PUBLISHED_SECRETS } from './published-secrets.js';
import { InvalidEnvironmentError, trustProxySetting, validateEnv } from './env.validation.js';

describe('validateEnv', () => {
  it('serves local use with no variables at all', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      QUEUE_ACTIVE_CAPACITY: 5,
      QUEUE_WINDOW_SECONDS: 300,
      QUEUE_CLAIM_SECONDS: 30,
      RESERVATION_HOLD_SECONDS: 300,
      EXPIRY_SWEEP_INTERVAL_MS: 1000,
      MIGRATE_ON_BOOT: true,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('converts strings from the environment', () => {
    expect(
      validateEnv({ PORT: '8080', MIGRATE_ON_BOOT: 'false', QUEUE_ACTIVE_CAPACITY: '200' }),
    ).toMatchObject({
      PORT: 8080,
      MIGRATE_ON_BOOT: false,
      QUEUE_ACTIVE_CAPACITY: 200,
    });
  });

  it('refuses a boolean it cannot read', () => {
    expect(() => validateEnv({ SWEEPER_ENABLED: 'maybe' })).toThrow(
      /SWEEPER_ENABLED must be a boolean value/,
    );
  });

  it('names the bad variable in one line', () => {
    expect(() => validateEnv({ PORT: 'eighty' })).toThrow(InvalidEnvironmentError);
    expect(() => validateEnv({ PORT: 'eighty' })).toThrow(
      /^Invalid configuration: .*PORT must be an integer number/,
    );
    expect(() => validateEnv({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL must be a postgres:\/\/ URL/,
    );
    expect(() => validateEnv({ QUEUE_ACTIVE_CAPACITY: '0' })).toThrow(/QUEUE_ACTIVE_CAPACITY/);
  });

  it('refuses default secrets and the embedded database in production', () => {
    const error = (() => {
      try {
        validateEnv({ NODE_ENV: 'production' });
      } catch (thrown) {
        return (thrown as Error).message;
      }
    })();
    expect(error).toMatch(/JWT_ACCESS_SECRET must be set in production/);
    expect(error).toMatch(/JWT_REFRESH_SECRET must be set in production/);
    expect(error).toMatch(/DATABASE_URL must be set in production/);
    expect(error).not.toMatch(/\n/);
  });

  const production = (secrets: { access?: string; refresh?: string }) => ({
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://db/sail',
    JWT_ACCESS_SECRET: secrets.access ?? randomBytes(32).toString('base64url'),
    JWT_REFRESH_SECRET: secrets.refresh ?? randomBytes(32).toString('base64url'),
  });

  it('accepts production with its own secrets and database', () => {
    expect(() => validateEnv(production({}))).not.toThrow();
  });

  it.each(PUBLISHED_SECRETS.map((secret) => [secret]))(
    'refuses %s, written in the repository, as either secret in production',
    (secret) => {
      expect(() => validateEnv(production({ access: secret }))).toThrow(
        /JWT_ACCESS_SECRET must be set in production to a value of your own/,
      );
      expect(() => validateEnv(production({ refresh: secret }))).toThrow(
        /JWT_REFRESH_SECRET must be set in production to a value of your own/,
      );
    },
  );

  it('refuses secrets shorter than 32 bytes, counting bytes rather than characters', () => {
    const short = randomBytes(24).toString('base64url').slice(0, 31);
    expect(() => validateEnv(production({ access: short }))).toThrow(
      /JWT_ACCESS_SECRET must be at least 32 bytes/,
    );
    expect(() => validateEnv({ JWT_REFRESH_SECRET: 'short' })).toThrow(
      /JWT_REFRESH_SECRET must be at least 32 bytes/,
    );
    // Eleven three-byte characters are 33 bytes.
    expect(() => validateEnv(production({ access: '가나다라마바사아자차카' }))).not.toThrow();
  });

  it('refuses identical secrets, and in production a repetition of a few characters', () => {
    const secret = randomBytes(32).toString('base64url');
    expect(() => validateEnv({ JWT_ACCESS_SECRET: secret, JWT_REFRESH_SECRET: secret })).toThrow(
      /must differ/,
    );
    expect(() => validateEnv({ JWT_ACCESS_SECRET: DEVELOPMENT_SECRETS.refresh })).toThrow(/must differ/);
    expect(() => validateEnv(production({ access: 'a'.repeat(40) }))).toThrow(
      /JWT_ACCESS_SECRET must be random/,
    );
  });
});

describe('trustProxySetting', () => {
  it.each([
    ['false', false],
    ['true', true],
    ['10.0.0.1, 10.0.0.0/8', ['10.0.0.1', '10.0.0.0/8']],
  ])('reads %s', (value, expected) => {
    expect(trustProxySetting(value)).toEqual(expected);
  });

  it('trusts only the given number of hops', () => {
    const trust = trustProxySetting('1') as (address: string, hop: number) => boolean;
    expect([trust('10.0.0.1', 0), trust('10.0.0.2', 1)]).toEqual([true, false]);
  });

  it('is refused in another form', () => {
    expect(() => validateEnv({ TRUST_PROXY: 'yes please' })).toThrow(/TRUST_PROXY/);
  });
});
