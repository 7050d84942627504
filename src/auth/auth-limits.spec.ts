import { testConfig } from '../../test/fakes/test-config.js';
import { RateLimitedError } from './auth.errors.js';
import { addressKey, AuthLimits } from './auth-limits.js';

describe(AuthLimits.name, () => {
  const limits = (overrides: Record<string, number> = {}) => new AuthLimits(testConfig(overrides));

  it('gives a successful sign-in its slots back, so a crowd behind one address signs in', () => {
    const sut = limits({ LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: 3 });
    for (let i = 0; i < 50; i++) sut.beginLogin(`fan${i}@example.com`, '198.51.100.1').succeeded();

    for (let i = 0; i < 3; i++) sut.beginLogin(`guess${i}@example.com`, '198.51.100.1');
    expect(() => sut.beginLogin('one-more@example.com', '198.51.100.1')).toThrow(RateLimitedError);
    expect(() => sut.beginLogin('one-more@example.com', '198.51.100.2')).not.toThrow();
  });

  it('counts attempts still in flight, so parallel guesses cannot overrun the limit', () => {
    const sut = limits({ LOGIN_FAILURES_PER_EMAIL_PER_MINUTE: 2 });
    sut.beginLogin('ann@example.com', '198.51.100.1');
    sut.beginLogin('ann@example.com', '198.51.100.2');
    expect(() => sut.beginLogin('ann@example.com', '198.51.100.3')).toThrow(RateLimitedError);
  });

  it("does not spend the address's budget on an attempt the account's limit refused", () => {
    const sut = limits({ LOGIN_FAILURES_PER_EMAIL_PER_MINUTE: 1, LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: 2 });
    sut.beginLogin('ann@example.com', '198.51.100.1');
    for (let i = 0; i < 5; i++) expect(() => sut.beginLogin('ann@example.com', '198.51.100.1')).toThrow();
    expect(() => sut.beginLogin('bob@example.com', '198.51.100.1')).not.toThrow();
  });

  it('says how long to wait', () => {
    const sut = limits({ REGISTRATIONS_PER_ADDRESS_PER_MINUTE: 1 });
    sut.registration('198.51.100.1');
    const error = (() => {
      try {
        sut.registration('198.51.100.1');
      } catch (thrown) {
        return thrown as RateLimitedError;
      }
    })();
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error!.details!.retryAfterSeconds).toBeGreaterThan(58);
  });

  it('turns a limit off with 0', () => {
    const sut = limits({ LOGIN_FAILURES_PER_EMAIL_PER_MINUTE: 0, LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE: 0 });
    for (let i = 0; i < 1_000; i++) sut.beginLogin('ann@example.com', '198.51.100.1');
  });
});

describe(addressKey.name, () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
  ])('keys %s as %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });
});
