import { ApiProperty } from '@nestjs/swagger';
import { IsJWT } from 'class-validator';
import { EXAMPLE } from '../../common/openapi/examples.js';

export class LogoutDto {
  /** The refresh token of the session to end. */
  @ApiProperty({ description: 'The refresh token of the session to end', example: EXAMPLE.refreshToken })
  @IsJWT()
  refreshToken!: string;
}
