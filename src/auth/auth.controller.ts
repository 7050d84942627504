import { Body, Controller, Get, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { Public } from '../common/auth/public.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { REFRESH_TOKEN_SCHEME } from '../common/openapi/openapi.js';
import { AuthService } from './auth.service.js';
import { AccountResponse, toAccountResponse } from './dto/account.response.js';
import { CredentialsDto } from './dto/credentials.dto.js';
import { LogoutDto } from './dto/logout.dto.js';
import {
  SessionResponse,
  toSessionResponse,
  TokenPairResponse,
  toTokenPairResponse,
} from './dto/session.response.js';
import { RefreshBearerToken } from './refresh-token.decorator.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ApiOperation({
    summary: 'Create an account and sign in',
    description:
      'Every account starts with the USER role; operators grant ADMIN with `npm run admin -- grant <email>`. ' +
      'Registrations are limited per client address (REGISTRATIONS_PER_ADDRESS_PER_MINUTE).',
  })
  @ApiCreatedResponse({ type: SessionResponse })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'EMAIL_ALREADY_REGISTERED', 'RATE_LIMITED')
  async register(@Body() dto: CredentialsDto, @Ip() clientIp: string): Promise<SessionResponse> {
    return toSessionResponse(await this.auth.register(dto.email, dto.password, clientIp));
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with email and password',
    description:
      'Failed sign-ins are limited per account (LOGIN_FAILURES_PER_EMAIL_PER_MINUTE) and per client address ' +
      '(LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE); successful ones never count. Over a limit: 429 with Retry-After.',
  })
  @ApiOkResponse({ type: SessionResponse })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_CREDENTIALS', 'RATE_LIMITED')
  async login(@Body() dto: CredentialsDto, @Ip() clientIp: string): Promise<SessionResponse> {
    return toSessionResponse(await this.auth.login(dto.email, dto.password, clientIp));
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiBearerAuth(REFRESH_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'Send the refresh token (not the access token) as `Authorization: Bearer <refreshToken>`. ' +
      'The old refresh token is replaced: presented again within REFRESH_REUSE_GRACE_SECONDS (30 s) it gets the ' +
      'same new pair, so parallel refreshes all succeed; later it revokes the whole session (REFRESH_TOKEN_REUSED). ' +
      'The new access token carries the role as it is now. Limited per session (REFRESHES_PER_SESSION_PER_MINUTE).',
  })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiErrors('UNAUTHENTICATED', 'REFRESH_TOKEN_REUSED', 'RATE_LIMITED')
  async refresh(@RefreshBearerToken() refreshToken: string): Promise<TokenPairResponse> {
    return toTokenPairResponse(await this.auth.rotateRefreshToken(refreshToken));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'End a session',
    description:
      "Without a body, ends the access token's own session; with `{refreshToken}`, the session of that token. " +
      'Its refresh tokens stop working at once; access tokens already issued work until they expire (JWT_ACCESS_TTL, 15 minutes).',
  })
  @ApiBody({ type: LogoutDto, required: false })
  @ApiNoContentResponse({ description: 'The session is over; its refresh tokens no longer work' })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'UNAUTHENTICATED', 'FORBIDDEN')
  async logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto): Promise<void> {
    await this.auth.logout(user, dto.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'The signed-in account',
    description: 'Who the access token belongs to, and the role it was issued with.',
  })
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors('UNAUTHENTICATED')
  async me(@CurrentUser() user: AuthUser): Promise<AccountResponse> {
    return toAccountResponse(await this.auth.findAccount(user.id));
  }
}
