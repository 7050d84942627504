import type { PasswordHasher } from '../../src/auth/password-hasher.js';
import type { PublicOf } from './fake.js';

/** A reversible stand-in for argon2id; records what verify was given. `old$…` hashes need a rehash. */
export class FakePasswordHasher implements PublicOf<PasswordHasher> {
  readonly verifiedAgainst: (string | undefined)[] = [];
  hashed = 0;

  async hash(password: string): Promise<string> {
    this.hashed++;
    return `fake$${password}`;
  }

  async verify(password: string, encoded: string | undefined): Promise<boolean> {
    this.verifiedAgainst.push(encoded);
    return encoded === `fake$${password}` || encoded === `old$${password}`;
  }

  needsRehash(encoded: string): boolean {
    return !encoded.startsWith('fake$');
  }
}
