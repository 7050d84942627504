import { DomainError } from '../common/errors/domain-error.js';

export class EmailAlreadyRegisteredError extends DomainError {
  readonly code = 'EMAIL_ALREADY_REGISTERED';
  constructor() {
    super('An account with this email already exists');
  }
}

/** One message for an unknown email and a wrong password, so responses do not reveal which accounts exist. */
export class InvalidCredentialsError extends DomainError {
  readonly code = 'INVALID_CREDENTIALS';
  constructor() {
    super('Email or password is incorrect');
  }
}

/** A refresh token that was already rotated came back: someone holds a copy, so its family is revoked. */
export class RefreshTokenReusedError extends DomainError {
  readonly code = 'REFRESH_TOKEN_REUSED';
  constructor() {
    super('This refresh token was already used; sign in again');
  }
}

export class InvalidRefreshTokenError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor() {
    super('The refresh token is invalid, expired or revoked');
  }
}

export class RefreshTokenOfAnotherUserError extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor() {
    super('The refresh token belongs to another account');
  }
}

export class AccountNotFoundError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  constructor() {
    super('The account for this token no longer exists');
  }
}

/** Too many failed sign-ins for an account or an address, or refreshes of one session. */
export class RateLimitedError extends DomainError {
  readonly code = 'RATE_LIMITED';
  constructor(what: string, retryAfterSeconds: number) {
    super(`Too many ${what}; retry after the time in Retry-After`, { retryAfterSeconds });
  }
}

/** An access token issued before tokens named their session: the client must say which one. */
export class SessionNotNamedError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor() {
    super('This access token does not name its session; send {refreshToken} to end it');
  }
}
