import type { FastifyReply, FastifyRequest } from 'fastify';
import { PinoLogger } from 'nestjs-pino';

/**
 * The access log: one line per answered request, as pino-http writes it (`request completed`,
 * `req` {id, method, url}, `res` {statusCode}, `responseTime` in ms; no headers, so no tokens),
 * at info, 4xx at debug, 5xx at error; /health not at all. Written from Fastify's onResponse hook
 * instead of pino-http's Nest middleware: the middleware, @fastify/middie under it and the
 * AsyncLocalStorage context it opened for every request cost a rush request 30-70 µs of the
 * app's CPU (bench request-costs) even with info off, where this costs a level check.
 */
export function logAccess(request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const level = status >= 500 ? 'error' : status >= 400 ? 'debug' : 'info';
  const log = PinoLogger.root;
  if (!log?.isLevelEnabled(level) || request.url.startsWith('/health')) return;
  log[level](
    {
      req: { id: request.id, method: request.method, url: request.url },
      // pino-http's serializer (which the root logger keeps) shows a status once headers are sent.
      res: { statusCode: status, headersSent: true },
      responseTime: Math.round(reply.elapsedTime),
    },
    'request completed',
  );
}
