import type { ErrorCode } from './error-codes.js';

/** A broken business rule. The HTTP filter maps `code` to a status via STATUS_BY_CODE. */
export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;

  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
