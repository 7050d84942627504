import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { httpErrorBody } from '../common/errors/http-error.filter.js';
import { AppConfig } from '../config/app-config.js';
import { RequestDurationHistogram } from './request-duration-histogram.js';

const METRICS_PATH = '/metrics';

/**
 * Request latency by route pattern and status class, and GET /metrics: on the API's port
 * behind METRICS_TOKEN, or on METRICS_PORT (its own small server, so the API's port never
 * serves it). Labels are bounded: the route as declared (`/concerts/:id/queue`), never the
 * URL; `unmatched` for requests no route took.
 */
@Injectable()
export class MetricsHttp implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsHttp.name);
  private readonly requests: RequestDurationHistogram;
  private readonly tokenDigest: Buffer | null;
  private server: Server | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.requests = new RequestDurationHistogram(
      'sail_http_request_duration_seconds',
      'HTTP requests by method, route pattern and status class, and how long they took',
      [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
    );
    const { token } = config.metrics;
    this.tokenDigest = token ? sha256(token) : null;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    // Runs on every request, the steady poll's fast path included: a few Map lookups and
    // additions (see RequestDurationHistogram). `elapsedTime` was fixed when the response finished.
    fastify.addHook('onResponse', (request, reply, done) => {
      this.requests.observe(
        request.method,
        request.routeOptions.url,
        reply.statusCode,
        reply.elapsedTime / 1000,
      );
      done();
    });
    if (this.config.metrics.port !== undefined) return;
    fastify.get(METRICS_PATH, async (request, reply) => {
      if (!this.authorized(request.headers.authorization))
        return reply.code(401).header('www-authenticate', 'Bearer').send(unauthorized());
      return reply.header('content-type', this.registry.contentType).send(await this.registry.metrics());
    });
  }

  /** METRICS_PORT: a server of its own, on the API's HOST. */
  async onApplicationBootstrap(): Promise<void> {
    const { port } = this.config.metrics;
    const { host } = this.config;
    if (port === undefined || this.server) return;
    const server = createServer((request, response) => void this.serve(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.logger.log(`Metrics on http://${host}:${port}${METRICS_PATH}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url?.split('?')[0];
    if (request.method !== 'GET' || path !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify(httpErrorBody(404, 'ROUTE_NOT_FOUND', `Only GET ${METRICS_PATH} is served here`)),
      );
      return;
    }
    if (!this.authorized(request.headers.authorization)) {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      response.end(JSON.stringify(unauthorized()));
      return;
    }
    try {
      const body = await this.registry.metrics();
      response.writeHead(200, { 'content-type': this.registry.contentType });
      response.end(body);
    } catch (error) {
      this.logger.error(error);
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify(httpErrorBody(500, 'INTERNAL_ERROR', 'Internal server error')));
    }
  }

  /** Without a token (METRICS_PORT alone) the port itself is the protection. */
  private authorized(header: string | undefined): boolean {
    if (!this.tokenDigest) return true;
    const match = /^Bearer (.+)$/.exec(header ?? '');
    return match !== null && timingSafeEqual(sha256(match[1]!), this.tokenDigest);
  }
}

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function unauthorized() {
  return httpErrorBody(
    401,
    'UNAUTHENTICATED',
    `GET ${METRICS_PATH} needs Authorization: Bearer <METRICS_TOKEN>`,
  );
}
