import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { httpErrorBody } from './http-error.filter.js';

/**
 * Fastify answers a malformed URL before any route (and so before Nest's filter) runs:
 * bad percent-encoding, or a path segment longer than its maxParamLength. No id of ours
 * is either, so both are a plain 400 in our error body.
 */
export function replyToFrameworkError(
  error: FastifyError,
  _request: FastifyRequest,
  reply: FastifyReply,
): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment is too long' : 'The URL is not valid';
  void reply.status(400).send(httpErrorBody(400, 'BAD_REQUEST', message));
}

/**
 * Node's HTTP parser refuses some requests before Fastify has a request at all (headers
 * over the size limit, a request that never finished, garbage on the wire). Fastify's
 * default answer has no `code`; this one writes our error body to the socket instead.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const body =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? httpErrorBody(431, 'HEADERS_TOO_LARGE', 'The request headers are too large')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? httpErrorBody(408, 'REQUEST_TIMEOUT', 'The request was not received in time')
        : httpErrorBody(400, 'BAD_REQUEST', 'The request is not valid HTTP');
  const json = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy(error);
}
