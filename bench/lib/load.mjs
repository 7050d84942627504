import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
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

/**
 * An HTTP client over `connections` keep-alive connections with at most one request in
 * flight on each. Latency is timed from the moment a connection is free to the end of the
 * body, so time a request spends queued inside this client is never counted.
 */
export class LoadClient {
  constructor(origin, connections) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    this.slots = new Semaphore(connections);
  }

  /** Resolves to {status, body}; a failed connection is status 'network' and never throws. */
  async send({ method = 'GET', path, token, json, recorders = [] }) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    await this.slots.acquire();
    const startedAt = performance.now();
    let status = 'network';
    let body;
    try {
      const response = await this.pool.request({
        method,
        path,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await response.body.text();
      status = response.statusCode;
      body = text ? JSON.parse(text) : null;
    } catch (error) {
      body = { networkError: error instanceof Error ? error.message : String(error) };
    } finally {
      this.slots.release();
    }
    const endedAt = performance.now();
    for (const recorder of recorders) recorder.record(status, startedAt, endedAt);
    return { status, body };
  }

  close() {
    return this.pool.close();
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
