import type { Role } from '../../generated/prisma/enums.js';
import type { AccountRow } from '../auth.repository.js';

export class AccountResponse {
  userId!: string;
  email!: string;
  role!: Role;
}

export function toAccountResponse(account: AccountRow): AccountResponse {
  return { userId: account.id, email: account.email, role: account.role };
}
