import { legacyScryptHash } from '../../test/factories/legacy-password-hash.js';
import { hashing, HASHING_SLOTS, PasswordHasher } from './password-hasher.js';

describe(PasswordHasher.name, () => {
  const sut = new PasswordHasher();
  const password = 'correct horse battery';

  it("writes argon2id at OWASP's parameters (19 MiB, t=2, p=1), without the password", async () => {
    const encoded = await sut.hash(password);
    expect(encoded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(encoded).not.toContain(password);
    expect(sut.needsRehash(encoded)).toBe(false);
  });

  it('salts each hash, and verifies only the right password', async () => {
    const [first, second] = await Promise.all([sut.hash(password), sut.hash(password)]);
    expect(first).not.toBe(second);
    await expect(sut.verify(password, first)).resolves.toBe(true);
    await expect(sut.verify(password, second)).resolves.toBe(true);
    await expect(sut.verify('correct horse battery!', first)).resolves.toBe(false);
  });

  it('rejects a hash whose key was altered', async () => {
    const encoded = await sut.hash(password);
    const key = encoded.slice(encoded.lastIndexOf('$') + 1);
    const altered =
      encoded.slice(0, encoded.lastIndexOf('$') + 1) + (key[0] === 'A' ? 'B' : 'A') + key.slice(1);
    await expect(sut.verify(password, altered)).resolves.toBe(false);
  });

  it('still verifies scrypt hashes of the earlier scheme, and asks for them to be rehashed', async () => {
    const older = legacyScryptHash(password);
    await expect(sut.verify(password, older)).resolves.toBe(true);
    await expect(sut.verify('wrong password', older)).resolves.toBe(false);
    expect(sut.needsRehash(older)).toBe(true);
  });

  it('asks for argon2id hashes at other parameters to be rehashed', () => {
    expect(sut.needsRehash('$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$' + 'A'.repeat(43))).toBe(
      true,
    );
  });

  it.each([
    ['no hash', undefined],
    ['a placeholder', 'test-no-login'],
    ['argon2i, another variant', '$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'A'.repeat(43)],
    [
      'argon2id asking for 4 GiB',
      '$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'A'.repeat(43),
    ],
    ['a scrypt cost above the bound', `scrypt$${2 ** 24}$8$1$AAAAAAAAAAAAAAAAAAAAAA$${'A'.repeat(43)}`],
    ['a scrypt cost that is not a power of two', `scrypt$30000$8$1$AAAAAAAAAAAAAAAAAAAAAA$${'A'.repeat(43)}`],
  ])('answers false, without throwing, for %s', async (_case, encoded) => {
    await expect(sut.verify(password, encoded)).resolves.toBe(false);
  });

  it('treats canonically equivalent Unicode passwords as the same password', async () => {
    const encoded = await sut.hash('caf\u00e9 au lait');
    await expect(sut.verify('cafe\u0301 au lait', encoded)).resolves.toBe(true);
  });

  it('runs one hash per core at once, the rest in turn', async () => {
    const encoded = await sut.hash(password);
    let mostAtOnce = 0;
    let mostWaiting = 0;
    const probe = setInterval(() => {
      mostAtOnce = Math.max(mostAtOnce, hashing.activeCount);
      mostWaiting = Math.max(mostWaiting, hashing.pendingCount);
    }, 1);
    const results = await Promise.all(
      Array.from({ length: HASHING_SLOTS + 2 }, () => sut.verify(password, encoded)),
    );
    clearInterval(probe);
    expect(results.every(Boolean)).toBe(true);
    expect(mostAtOnce).toBe(HASHING_SLOTS);
    expect(mostWaiting).toBeGreaterThan(0);
  });
});
