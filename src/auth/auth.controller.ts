import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import type { AuthUser } from '../common/auth/auth-user.js';
import { CurrentUser } from '../common/auth/current-user.decorator.js';
import { Public } from '../common/auth/public.decorator.js';
import { AuthRateLimitGuard } from './auth-rate-limit.guard.js';
import { AuthService } from './auth.service.js';
import { type AccountResponse, toAccountResponse } from './dto/account.response.js';
import { CredentialsDto } from './dto/credentials.dto.js';
import { LogoutDto } from './dto/logout.dto.js';
import {
  type SessionResponse,
  toSessionResponse,
  type TokenPairResponse,
  toTokenPairResponse,
} from './dto/session.response.js';
import { RefreshBearerToken } from './refresh-token.decorator.js';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('register')
  async register(@Body() dto: CredentialsDto): Promise<SessionResponse> {
    return toSessionResponse(await this.auth.register(dto.email, dto.password));
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('login')
  @HttpCode(200)
  async login(@Body() dto: CredentialsDto): Promise<SessionResponse> {
    return toSessionResponse(await this.auth.login(dto.email, dto.password));
  }

  @Public()
  @UseGuards(AuthRateLimitGuard)
  @Post('refresh')
  @HttpCode(200)
  async refresh(@RefreshBearerToken() refreshToken: string): Promise<TokenPairResponse> {
    return toTokenPairResponse(await this.auth.rotateRefreshToken(refreshToken));
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto): Promise<void> {
    await this.auth.logout(user.id, dto.refreshToken);
  }

  @Get('me')
  async me(@CurrentUser() user: AuthUser): Promise<AccountResponse> {
    return toAccountResponse(await this.auth.findAccount(user.id));
  }
}
