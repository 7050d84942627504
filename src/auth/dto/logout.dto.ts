import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsJWT, IsOptional } from 'class-validator';
import { EXAMPLE } from '../../common/openapi/examples.js';

export class LogoutDto {
  /** The refresh token of the session to end; without it, the access token's own session ends. */
  @ApiPropertyOptional({
    description: "The refresh token of the session to end; omitted, the access token's own session",
    example: EXAMPLE.refreshToken,
  })
  @IsOptional()
  @IsJWT()
  refreshToken?: string;
}
