import { ApiProperty } from '@nestjs/swagger';
import { EXAMPLE } from '../../common/openapi/examples.js';
import { Role } from '../../generated/prisma/enums.js';
import type { AccountRow } from '../auth.repository.js';

export class AccountResponse {
  @ApiProperty({ format: 'uuid', example: EXAMPLE.userId })
  userId!: string;

  @ApiProperty({ format: 'email', example: EXAMPLE.email })
  email!: string;

  @ApiProperty({ enum: Role, enumName: 'Role', example: Role.USER })
  role!: Role;
}

export function toAccountResponse(account: AccountRow): AccountResponse {
  return { userId: account.id, email: account.email, role: account.role };
}
