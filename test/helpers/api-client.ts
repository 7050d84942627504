import { Pool } from 'undici';

export interface ApiResponse {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON (and null when empty). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- responses of many shapes
  headers: Record<string, string | string[] | undefined>;
}

export interface ApiCall {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A failed exchange: the connection broke or was refused before a response arrived. */
export class NetworkError extends Error {}

/**
 * A keep-alive HTTP client for load against one origin (an app listening on loopback,
 * in this process or a child). supertest opens a connection per request, which costs
 * more than the requests themselves at a few hundred users.
 */
export class ApiClient {
  private readonly pool: Pool;

  constructor(
    readonly origin: string,
    options: { connections?: number } = {},
  ) {
    this.pool = new Pool(origin, { connections: options.connections ?? 64, pipelining: 1 });
  }

  async call(method: string, path: string, call: ApiCall = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...call.headers };
    if (call.token) headers.authorization = `Bearer ${call.token}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const response = await this.pool.request({
        method,
        path,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
      const text = await response.body.text();
      let body: unknown = text || null;
      if (text && String(response.headers['content-type']).includes('application/json'))
        body = JSON.parse(text);
      return { status: response.statusCode, body, headers: response.headers };
    } catch (error) {
      throw new NetworkError(`${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
