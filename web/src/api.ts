import { createSailClient } from '../../clients/js/index.js';
import type { components } from '../../clients/js/schema.js';

export type Schemas = components['schemas'];

/** An error answer of the API (or of the network), with the stable `code` the pages switch on. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** From Retry-After, when the answer had one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

type TokenPair = { accessToken: string; refreshToken: string };

/**
 * The signed-in session. The access token lives only in memory; the refresh token is kept in
 * sessionStorage (this tab only, gone when it closes) so that a reload signs in again. Nothing
 * goes to localStorage, where any later script or another tab could read it for weeks.
 */
class Session {
  private accessToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly storageKey = 'sail.refreshToken';
  private readonly listeners = new Set<() => void>();

  get signedIn(): boolean {
    return this.accessToken !== null;
  }

  get hasStoredSession(): boolean {
    return sessionStorage.getItem(this.storageKey) !== null;
  }

  authorization(): string | null {
    return this.accessToken && `Bearer ${this.accessToken}`;
  }

  start(pair: TokenPair): void {
    this.accessToken = pair.accessToken;
    sessionStorage.setItem(this.storageKey, pair.refreshToken);
    this.scheduleRefresh(pair.accessToken);
    this.listeners.forEach((listener) => listener());
  }

  end(): void {
    clearTimeout(this.refreshTimer);
    this.accessToken = null;
    sessionStorage.removeItem(this.storageKey);
    this.listeners.forEach((listener) => listener());
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Trades the stored refresh token for a new pair. One refresh at a time: refresh tokens
   * rotate, and presenting the same one twice would revoke the whole session.
   */
  refresh(): Promise<boolean> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /**
   * Refreshes at three quarters of the access token's life (measured from its own iat and exp, so
   * the device's clock does not matter): a fan waiting an hour never meets a 401. A timer that a
   * background tab delayed is covered by the refresh-on-401 in authorizedFetch.
   */
  private scheduleRefresh(accessToken: string): void {
    clearTimeout(this.refreshTimer);
    const claims = tokenClaims(accessToken);
    if (!claims) return;
    const lifetimeMs = (claims.exp - claims.iat) * 1000;
    this.refreshTimer = setTimeout(() => void this.refresh(), Math.max(1_000, lifetimeMs * 0.75));
  }

  private async doRefresh(): Promise<boolean> {
    const refreshToken = sessionStorage.getItem(this.storageKey);
    if (!refreshToken) return false;
    const response = await fetch('/auth/refresh', {
      method: 'POST',
      headers: { Authorization: `Bearer ${refreshToken}` },
    }).catch(() => null);
    if (!response) return this.signedIn; // offline: keep what we have and try again later
    if (response.status === 401) {
      this.end();
      return false;
    }
    if (!response.ok) return false;
    this.start((await response.json()) as TokenPair);
    return true;
  }
}

/** iat and exp of a JWT, read without verifying: only to time the next refresh. */
function tokenClaims(token: string): { iat: number; exp: number } | null {
  try {
    const payload = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const { iat, exp } = JSON.parse(atob(payload)) as { iat?: unknown; exp?: unknown };
    return typeof iat === 'number' && typeof exp === 'number' && exp > iat ? { iat, exp } : null;
  } catch {
    return null;
  }
}

export const session = new Session();

const PUBLIC_PATHS = ['/auth/register', '/auth/login', '/auth/refresh'];

/** Adds the access token, and on a 401 refreshes once and sends the request again. */
async function authorizedFetch(request: Request): Promise<Response> {
  const isPublic = PUBLIC_PATHS.includes(new URL(request.url).pathname);
  const retry = isPublic ? null : request.clone();
  const send = (req: Request) => {
    const authorization = session.authorization();
    if (authorization && !isPublic) req.headers.set('Authorization', authorization);
    return fetch(req);
  };
  const response = await send(request);
  if (response.status !== 401 || !retry || !(await session.refresh())) return response;
  return send(retry);
}

export const api = createSailClient({ baseUrl: location.origin, fetch: authorizedFetch });

/** The data of an answer, or an ApiFailure carrying the API's error code. */
export async function call<T>(
  pending: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await pending;
  } catch {
    throw new ApiFailure(0, 'NETWORK', 'The server could not be reached. Check your connection.');
  }
  const { data, error, response } = result;
  if (response.ok) return data as T;
  const body = (error ?? {}) as Partial<Schemas['ErrorResponse']>;
  const retryAfter = Number(response.headers.get('Retry-After'));
  throw new ApiFailure(
    response.status,
    body.code ?? `HTTP_${response.status}`,
    body.message ?? response.statusText,
    body.details ?? {},
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : null,
  );
}

/** A fresh key per operation the user starts, kept for its retries (see README: Idempotency-Key). */
export const newIdempotencyKey = (): string => crypto.randomUUID();

export async function signIn(mode: 'login' | 'register', email: string, password: string): Promise<void> {
  const body = { email, password };
  const pair =
    mode === 'login'
      ? await call(api.POST('/auth/login', { body }))
      : await call(api.POST('/auth/register', { body }));
  session.start(pair);
}

export async function signOut(): Promise<void> {
  const refreshToken = sessionStorage.getItem('sail.refreshToken');
  if (refreshToken) await call(api.POST('/auth/logout', { body: { refreshToken } })).catch(() => undefined);
  session.end();
}

/** After a reload: sign in again from the refresh token of this tab, if there is one. */
export async function resumeSession(): Promise<boolean> {
  return session.hasStoredSession ? session.refresh() : false;
}
