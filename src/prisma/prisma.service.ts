import { createHash } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { AppConfig } from '../config/app-config.js';
import { PrismaClient, type Prisma } from '../generated/prisma/client.js';

/**
 * Distinct SQL texts that get a prepared statement. Ours are a few dozen; the cap keeps
 * Prisma-built queries with varying shapes from filling every connection's cache.
 */
const MAX_PREPARED_STATEMENTS = 500;
const statementNames = new Map<string, string>();

/**
 * Names each distinct SQL text so that pg prepares it once per connection. Unnamed, every
 * query is planned again: on the queue poll, planning took several times longer than running.
 */
function preparedStatementName({ sql }: { sql: string }): string {
  let name = statementNames.get(sql);
  if (!name && statementNames.size < MAX_PREPARED_STATEMENTS) {
    name = `sail_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  // pg treats an empty name as an unnamed statement, planned on every call.
  return name ?? '';
}

/**
 * Runs one statement and answers its rows. `PrismaService.poolQuery` runs it straight on the
 * pool as a named prepared statement, outside Prisma's client: for the hottest requests, where
 * Prisma's client cost more CPU than the statement (a seat page: 415 µs through Prisma, 175 µs
 * on the pool; docs/decisions.md). `queryIn(tx)` runs it in a transaction. Rows come back with
 * pg's types on the pool (json parsed, bigint as a string): such statements cast what they return.
 */
export type SqlQuery = <Row>(sql: Prisma.Sql) => Promise<Row[]>;

/** A SqlQuery in the transaction (or on the client) `db`. */
export const queryIn =
  (db: Prisma.TransactionClient): SqlQuery =>
  <Row>(sql: Prisma.Sql) =>
    db.$queryRaw<Row[]>(sql);

/** Owns the Prisma client and its pg pool. A failed first connection crashes the boot. */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrismaService.name);
  /** The pool under the adapter, read by the metrics (connections in use, requests waiting). */
  readonly pool: pg.Pool;
  readonly poolQuery: SqlQuery = async <Row>(sql: Prisma.Sql) =>
    (
      await this.pool.query<Row & pg.QueryResultRow>({
        name: preparedStatementName({ sql: sql.text }),
        text: sql.text,
        values: sql.values,
      })
    ).rows;

  constructor(config: AppConfig) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: config.databasePoolSize,
      // One slow query must not hold a connection (and its locks) forever.
      statement_timeout: config.databaseStatementTimeoutMs,
      // Nor may a full pool: a request waits this long for a connection, then gets 503.
      connectionTimeoutMillis: config.databaseConnectTimeoutMs,
    });
    super({
      adapter: new PrismaPg(pool, {
        disposeExternalPool: true,
        statementNameGenerator: preparedStatementName,
      }),
    });
    this.pool = pool;
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
