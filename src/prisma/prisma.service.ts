import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { PrismaClient } from '../generated/prisma/client.js';

/** Owns the Prisma client and its pg pool. A failed first connection crashes the boot. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);

  constructor(config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.databasePoolSize,
      // One slow query must not hold a connection (and its locks) forever.
      statement_timeout: config.databaseStatementTimeoutMs,
      connectionTimeoutMillis: 5_000,
    });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
    // pg-pool takes its own 'error' listener off a connection when it hands it out, and the
    // adapter adds one only after an await. A server shutting down (or a failover) can end the
    // connection in that gap: with no listener the 'error' event would crash the process. With
    // this one the connection just fails its next query (503), and the pool drops it on release.
    pool.on('connect', (client) =>
      client.on('error', (error) => this.logger.warn(`Database connection lost: ${error.message}`)),
    );
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
    await this.$queryRaw`SELECT 1`;
    this.logger.log('Connected to PostgreSQL');
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
