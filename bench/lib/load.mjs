import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { connect } from 'node:net';
import { summarize } from './stats.mjs';

/** Latencies and statuses of one kind of request. */
export class Recorder {
  constructor() {
    this.latencies = [];
    this.statuses = {};
    this.startedAt = null;
    this.endedAt = null;
    this.busyMs = 0;
  }

  /** Runs one stretch of load; throughput is then taken over the stretches only, not the gaps between them. */
  async during(run) {
    const startedAt = performance.now();
    try {
      return await run();
    } finally {
      this.busyMs += performance.now() - startedAt;
    }
  }

  record(status, startedAt, endedAt) {
    this.latencies.push(endedAt - startedAt);
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (this.startedAt === null || startedAt < this.startedAt) this.startedAt = startedAt;
    if (this.endedAt === null || endedAt > this.endedAt) this.endedAt = endedAt;
  }

  /** Throughput over the stretches of `during`, else from the first request sent to the last answer received. */
  summary() {
    return summarize(
      this.latencies,
      this.statuses,
      this.busyMs || (this.endedAt ?? 0) - (this.startedAt ?? 0),
    );
  }
}

/** At most `size` callers inside at once; the rest wait in arrival order. */
class Semaphore {
  constructor(size) {
    this.free = size;
    this.waiting = [];
  }

  async acquire() {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise((resolve) => this.waiting.push(resolve));
  }

  release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');
const TIMEOUT_MS = 30_000;

/**
 * One keep-alive HTTP/1.1 connection with one request in flight. Written for the load generator
 * alone: it runs on the cores it measures, and undici's general machinery (header objects, body
 * streams, its WASM parser) cost it about 350 µs of CPU a request in the rush, over a fifth of the
 * machine. This reads only what the app sends: a status line, headers with Content-Length (or a
 * chunked body), and a body.
 */
class Connection {
  constructor(host, port, onGone) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.setTimeout(TIMEOUT_MS);
    this.pending = null;
    this.buffered = null;
    this.socket.on('data', (chunk) => this.receive(chunk));
    const fail = (error) => {
      this.closed = true;
      onGone(this);
      this.settle(null, error ?? new Error('connection closed'));
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail());
    this.socket.on('timeout', () => this.socket.destroy(new Error('timed out')));
  }

  /** Resolves to {status, text}; rejects if the connection fails first. */
  request(head, body) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.buffered = null;
      this.socket.write(body === undefined ? head : head + body);
    });
  }

  settle(result, error) {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    this.buffered = null;
    if (error) pending.reject(error);
    else pending.resolve(result);
  }

  receive(chunk) {
    const data = this.buffered ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headEnd = data.indexOf(CRLF2);
    if (headEnd < 0) {
      this.buffered = data;
      return;
    }
    const head = data.latin1Slice(0, headEnd).toLowerCase();
    const status = Number(head.slice(9, 12));
    const bodyStart = headEnd + 4;
    let text;
    const length = /\r\ncontent-length: *(\d+)/.exec(head);
    if (length) {
      const end = bodyStart + Number(length[1]);
      if (data.length < end) {
        this.buffered = data;
        return;
      }
      text = data.utf8Slice(bodyStart, end);
    } else if (head.includes('\r\ntransfer-encoding: chunked')) {
      text = dechunk(data, bodyStart);
      if (text === undefined) {
        this.buffered = data;
        return;
      }
    } else {
      text = '';
    }
    if (head.includes('\r\nconnection: close')) {
      this.closed = true;
      this.socket.end();
    }
    this.settle({ status, text });
  }

  close() {
    this.socket.end();
  }
}

/** The body of a complete chunked message from `start`, or undefined while it is incomplete. */
function dechunk(data, start) {
  const parts = [];
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.latin1Slice(at, lineEnd), 16);
    if (size === 0) return data.indexOf('\r\n', lineEnd + 2) < 0 ? undefined : parts.join('');
    if (data.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(data.utf8Slice(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * An HTTP client over `connections` keep-alive connections with at most one request in
 * flight on each. Latency is timed from the moment a connection is free to the end of the
 * body, so time a request spends queued inside this client is never counted.
 */
export class LoadClient {
  constructor(origin, connections) {
    const url = new URL(origin);
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.authority = url.host;
    this.idle = [];
    this.open = new Set();
    this.slots = new Semaphore(connections);
  }

  /** Resolves to {status, body}; a failed connection is status 'network' and never throws. */
  async send({ method = 'GET', path, token, json, recorders = [] }) {
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.authority}\r\n`;
    if (token) head += `authorization: Bearer ${token}\r\n`;
    const body = json === undefined ? undefined : JSON.stringify(json);
    head +=
      body === undefined
        ? method === 'GET'
          ? '\r\n'
          : 'content-length: 0\r\n\r\n'
        : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    await this.slots.acquire();
    const connection = this.idle.pop() ?? this.connect();
    const startedAt = performance.now();
    let status = 'network';
    let parsed;
    try {
      const answer = await connection.request(head, body);
      status = answer.status;
      parsed = answer.text ? JSON.parse(answer.text) : null;
    } catch (error) {
      parsed = { networkError: error instanceof Error ? error.message : String(error) };
    } finally {
      if (!connection.closed) this.idle.push(connection);
      this.slots.release();
    }
    const endedAt = performance.now();
    for (const recorder of recorders) recorder.record(status, startedAt, endedAt);
    return { status, body: parsed };
  }

  connect() {
    const connection = new Connection(this.host, this.port, (gone) => {
      this.open.delete(gone);
      const at = this.idle.indexOf(gone);
      if (at >= 0) this.idle.splice(at, 1);
    });
    this.open.add(connection);
    return connection;
  }

  async close() {
    for (const connection of this.open) connection.close();
    this.open.clear();
    this.idle = [];
  }
}

/**
 * Runs task(0) … task(count - 1) with `concurrency` workers, each sending its next request
 * as soon as the previous one is answered (a closed loop, as autocannon does). Stops
 * starting tasks at `deadline`; returns how many ran.
 */
export async function runClosedLoop({ count, concurrency, deadline, task, onDone = () => undefined }) {
  let next = 0;
  let completed = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const index = next++;
      await task(index);
      completed += 1;
      onDone(completed);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { completed, timedOut: completed < count };
}
