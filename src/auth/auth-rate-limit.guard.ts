import { CanActivate, ExecutionContext, HttpException, HttpStatus, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../config/app-config.js';
import { FixedWindowRateLimiter } from './fixed-window-rate-limiter.js';

/**
 * AUTH_RATE_LIMIT_PER_MINUTE requests per client IP and route; 0 turns it off.
 * @nestjs/throttler would be the obvious choice, but v6 is CommonJS requiring the ESM-only
 * Nest 12 packages, which Jest cannot load on Node 20, so every e2e test would fail to boot.
 */
@Injectable()
export class AuthRateLimitGuard implements CanActivate {
  private readonly limiter: FixedWindowRateLimiter;

  constructor(private readonly config: AppConfig) {
    this.limiter = new FixedWindowRateLimiter(config.authRateLimitPerMinute, 60_000);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.config.authRateLimitPerMinute === 0) return true;
    const http = context.switchToHttp();
    // Fastify takes the client address from X-Forwarded-For when trustProxy is on (app.setup.ts).
    const { ip, routeOptions } = http.getRequest<FastifyRequest>();
    const decision = this.limiter.hit(`${routeOptions.url ?? ''} ${ip}`, Date.now());
    if (decision.allowed) return true;
    void http.getResponse<FastifyReply>().header('Retry-After', String(decision.retryAfterSeconds));
    throw new HttpException(
      'Too many requests; retry after the time in Retry-After',
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
