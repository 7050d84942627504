import { DomainError } from '../common/errors/domain-error.js';

export class InvalidAmountError extends DomainError {
  readonly code = 'INVALID_AMOUNT';

  constructor(amount: number, maxAmount: number) {
    super(`Amount must be an integer from 1 to ${maxAmount}`, { amount, maxAmount });
  }
}

export class BalanceLimitExceededError extends DomainError {
  readonly code = 'BALANCE_LIMIT_EXCEEDED';

  constructor(balance: number, amount: number, maxBalance: number) {
    super(`Charging ${amount} would take the balance of ${balance} beyond ${maxBalance}`, {
      balance,
      amount,
      maxBalance,
    });
  }
}

export class InsufficientPointsError extends DomainError {
  readonly code = 'INSUFFICIENT_POINTS';

  constructor(balance: number, required: number) {
    super(`Balance ${balance} is less than ${required}`, { balance, required });
  }
}
