import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
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
import { AuthRateLimitGuard } from './auth-rate-limit.guard.js';
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
  @UseGuards(AuthRateLimitGuard)
  @Post('register')
  @ApiOperation({
    summary: 'Create an account and sign in',
    description: 'An email listed in ADMIN_EMAILS gets the ADMIN role.',
  })
  @ApiCreatedResponse({ type: SessionResponse })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'EMAIL_ALREADY_REGISTERED', 'RATE_LIMITED')
  async register(@Body() dto: CredentialsDto): Promise<SessionResponse> {
    return toSessionResponse(await this.auth.register(dto.email, dto.password));
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: SessionResponse })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'INVALID_CREDENTIALS', 'RATE_LIMITED')
  async login(@Body() dto: CredentialsDto): Promise<SessionResponse> {
    return toSessionResponse(await this.auth.login(dto.email, dto.password));
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('refresh')
  @HttpCode(200)
  @ApiBearerAuth(REFRESH_TOKEN_SCHEME)
  @ApiOperation({
    summary: 'Exchange a refresh token for a new token pair',
    description:
      'Send the refresh token (not the access token) as `Authorization: Bearer <refreshToken>`. ' +
      'The old refresh token stops working; presenting it again revokes the whole session (REFRESH_TOKEN_REUSED).',
  })
  @ApiOkResponse({ type: TokenPairResponse })
  @ApiErrors('UNAUTHENTICATED', 'REFRESH_TOKEN_REUSED', 'RATE_LIMITED')
  async refresh(@RefreshBearerToken() refreshToken: string): Promise<TokenPairResponse> {
    return toTokenPairResponse(await this.auth.rotateRefreshToken(refreshToken));
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End the session of a refresh token' })
  @ApiNoContentResponse({ description: 'The session is over; its refresh token no longer works' })
  @ApiErrors('VALIDATION_FAILED', 'INVALID_JSON', 'UNAUTHENTICATED', 'FORBIDDEN')
  async logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto): Promise<void> {
    await this.auth.logout(user.id, dto.refreshToken);
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in account' })
  @ApiOkResponse({ type: AccountResponse })
  @ApiErrors('UNAUTHENTICATED')
  async me(@CurrentUser() user: AuthUser): Promise<AccountResponse> {
    return toAccountResponse(await this.auth.findAccount(user.id));
  }
}
