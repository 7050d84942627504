import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../common/auth/public.decorator.js';
import { ApiErrors } from '../common/openapi/api-errors.decorator.js';
import { PrismaService } from '../prisma/prisma.service.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly prisma: PrismaService,
  ) {}

  /** Liveness: the process answers. Never touches the database. */
  @Get()
  @ApiOperation({
    summary: 'Liveness: the process answers (no database check)',
    description: 'For a process supervisor: restart the process when this fails.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok'] } },
      required: ['status'],
    },
  })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers `SELECT 1`; 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: the database answers; 503 otherwise',
    description: 'For a load balancer: send traffic only while this answers 200.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      example: {
        status: 'ok',
        info: { database: { status: 'up' } },
        error: {},
        details: { database: { status: 'up' } },
      },
    },
  })
  @ApiErrors('SERVICE_UNAVAILABLE')
  ready() {
    return this.health.check([
      async () => {
        const indicator = this.indicators.check('database');
        try {
          await this.prisma.$queryRaw`SELECT 1`;
          return indicator.up();
        } catch {
          return indicator.down({ message: 'database unreachable' });
        }
      },
    ]);
  }
}
