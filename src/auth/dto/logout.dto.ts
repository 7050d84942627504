import { IsJWT } from 'class-validator';

export class LogoutDto {
  /** The refresh token of the session to end. */
  @IsJWT()
  refreshToken!: string;
}
