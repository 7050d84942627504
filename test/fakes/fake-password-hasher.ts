import type { PasswordHasher } from '../../src/auth/password-hasher.js';
import type { PublicOf } from './fake.js';

/** A reversible stand-in for scrypt (which takes ~0.2 s a call); records what verify was given. */
export class FakePasswordHasher implements PublicOf<PasswordHasher> {
  readonly verifiedAgainst: (string | undefined)[] = [];

  async hash(password: string): Promise<string> {
    return `fake$${password}`;
  }

  async verify(password: string, encoded: string | undefined): Promise<boolean> {
    this.verifiedAgainst.push(encoded);
    return encoded === `fake$${password}`;
  }
}
