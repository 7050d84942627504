import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AuthController } from './auth.controller.js';
import { AuthLimits } from './auth-limits.js';
import { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { AuthTokens } from './auth-tokens.js';
import { PasswordHasher } from './password-hasher.js';

@Module({
  imports: [JwtModule.register({})],
  controllers: [AuthController],
  providers: [AuthService, AuthRepository, AuthTokens, PasswordHasher, AuthLimits],
})
export class AuthModule {}
