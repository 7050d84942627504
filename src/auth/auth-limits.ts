import { isIPv6 } from 'node:net';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RateLimitedError } from './auth.errors.js';
import { FixedWindowRateLimiter, type RateLimitDecision } from './fixed-window-rate-limiter.js';

const MINUTE_MS = 60_000;

/**
 * The key of a client address: IPv4 as it is, IPv6 by its /64, which one subscriber usually
 * holds whole (keying on full IPv6 addresses would give an attacker 2^64 fresh budgets).
 */
export function addressKey(ip: string): string {
  const address = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

/** A sign-in attempt that holds one failure slot of its account and of its address until it ends. */
export interface LoginAttempt {
  /** A successful sign-in counts against neither. */
  succeeded(): void;
}

/**
 * Limits that stop guessing without stopping crowds, per replica (see docs/decisions.md):
 * failed logins per account and per client address (a slot is taken before the password is
 * checked, so parallel guesses cannot overrun it, and given back on success), registrations per
 * address, and refreshes per session family. A limit of 0 is off.
 */
@Injectable()
export class AuthLimits {
  private readonly failuresPerEmail: FixedWindowRateLimiter;
  private readonly failuresPerAddress: FixedWindowRateLimiter;
  private readonly registrationsPerAddress: FixedWindowRateLimiter;
  private readonly refreshesPerSession: FixedWindowRateLimiter;

  constructor(private readonly config: AppConfig) {
    const limits = config.authLimits;
    this.failuresPerEmail = new FixedWindowRateLimiter(limits.loginFailuresPerEmail, MINUTE_MS);
    this.failuresPerAddress = new FixedWindowRateLimiter(limits.loginFailuresPerAddress, MINUTE_MS);
    this.registrationsPerAddress = new FixedWindowRateLimiter(limits.registrationsPerAddress, MINUTE_MS);
    this.refreshesPerSession = new FixedWindowRateLimiter(limits.refreshesPerSession, MINUTE_MS);
  }

  /** Throws RateLimitedError when the account or the address has used its failures this minute. */
  beginLogin(email: string, clientIp: string): LoginAttempt {
    const { loginFailuresPerEmail, loginFailuresPerAddress } = this.config.authLimits;
    const address = addressKey(clientIp);
    const now = Date.now();
    const byAddress = loginFailuresPerAddress > 0;
    const byEmail = loginFailuresPerEmail > 0;
    if (byAddress)
      refuseUnless(this.failuresPerAddress.hit(address, now), 'failed sign-ins from your address');
    if (byEmail) {
      const decision = this.failuresPerEmail.hit(email, now);
      if (!decision.allowed && byAddress) this.failuresPerAddress.refund(address, now);
      refuseUnless(decision, 'failed sign-ins for this account');
    }
    return {
      succeeded: () => {
        const later = Date.now();
        if (byAddress) this.failuresPerAddress.refund(address, later);
        if (byEmail) this.failuresPerEmail.refund(email, later);
      },
    };
  }

  registration(clientIp: string): void {
    if (this.config.authLimits.registrationsPerAddress === 0) return;
    refuseUnless(
      this.registrationsPerAddress.hit(addressKey(clientIp), Date.now()),
      'registrations from your address',
    );
  }

  /** `sessionId` is the refresh token's family. */
  refresh(sessionId: string): void {
    if (this.config.authLimits.refreshesPerSession === 0) return;
    refuseUnless(this.refreshesPerSession.hit(sessionId, Date.now()), 'refreshes of this session');
  }
}

function refuseUnless(decision: RateLimitDecision, what: string): void {
  if (!decision.allowed) throw new RateLimitedError(what, decision.retryAfterSeconds);
}
