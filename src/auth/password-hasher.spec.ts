import { randomBytes, scryptSync } from 'node:crypto';
import { PasswordHasher } from './password-hasher.js';

describe(PasswordHasher.name, () => {
  const sut = new PasswordHasher();
  const password = 'correct horse battery';

  it('writes a self-describing scrypt string that does not contain the password', async () => {
    const encoded = await sut.hash(password);
    expect(encoded).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    expect(encoded).not.toContain(password);
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

  it('reads the cost parameters from the stored string, so older hashes keep working', async () => {
    const salt = randomBytes(16);
    const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
    const older = `scrypt$1024$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    await expect(sut.verify(password, older)).resolves.toBe(true);
    await expect(sut.verify('wrong password', older)).resolves.toBe(false);
  });

  it.each([
    ['no hash', undefined],
    ['a placeholder', 'test-no-login'],
    ['another scheme', '$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$aGFzaA'],
    ['a cost above the bound', `scrypt$${2 ** 24}$8$1$AAAAAAAAAAAAAAAAAAAAAA$${'A'.repeat(43)}`],
    ['a cost that is not a power of two', `scrypt$30000$8$1$AAAAAAAAAAAAAAAAAAAAAA$${'A'.repeat(43)}`],
  ])('answers false, without throwing, for %s', async (_case, encoded) => {
    await expect(sut.verify(password, encoded)).resolves.toBe(false);
  });

  it('treats canonically equivalent Unicode passwords as the same password', async () => {
    const encoded = await sut.hash('caf\u00e9 au lait');
    await expect(sut.verify('cafe\u0301 au lait', encoded)).resolves.toBe(true);
  });
});
